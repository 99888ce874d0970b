// The address policy on literal hosts: every spelling of a private target is refused.
import { describe, expect, it } from "vitest";
import { checkAddress } from "../../../search/fetch/address-guard";

describe("checkAddress", () => {
  it.each([
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://0.0.0.0/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://localhost/",
    "http://LOCALHOST:8080/",
    "http://app.localhost/",
    "http://printer.local/",
    "http://metadata.google.internal/",
    "http://intranet/",
    "http://10.0.0.1.nip.io/",
    "http://127-0-0-1.sslip.io/",
    "http://localhost./",
  ])("refuses %s", (url) => {
    expect(checkAddress(url, {})).toMatchObject({ ok: false, reason: "blocked-address" });
  });

  it.each(["https://example.com/", "http://93.184.216.34/", "http://[2606:4700::1111]/", "https://8.8.8.8.example.org/", "http://172.32.0.1/"])(
    "allows %s",
    (url) => {
      expect(checkAddress(url, {}).ok).toBe(true);
    },
  );

  it("refuses other schemes and embedded credentials", () => {
    for (const url of ["file:///etc/passwd", "ftp://example.com/", "javascript:alert(1)", "data:text/html,x", "gopher://x/", "not a url"]) {
      expect(checkAddress(url, {})).toMatchObject({ ok: false, reason: "bad-scheme" });
    }
    expect(checkAddress("https://user:pass@example.com/", {})).toMatchObject({ ok: false, reason: "bad-scheme" });
  });

  it("allows exactly the listed hosts, or everything private when asked", () => {
    expect(checkAddress("http://127.0.0.1:9000/", { allowHosts: ["127.0.0.1:9000"] }).ok).toBe(true);
    expect(checkAddress("http://127.0.0.1:9001/", { allowHosts: ["127.0.0.1:9000"] }).ok).toBe(false);
    expect(checkAddress("http://169.254.169.254/", { allowHosts: ["127.0.0.1:9000"] }).ok).toBe(false);
    expect(checkAddress("http://10.0.0.1/", { allowPrivateAddresses: true }).ok).toBe(true);
  });
});
