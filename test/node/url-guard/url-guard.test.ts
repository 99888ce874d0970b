// The outbound-URL guard's rules, one table for both copies (search/url-guard/ and the engine's container/url-guard/):
// every refused spelling is refused with a reason, every public spelling passes, resolver answers are classified.
import { describe, expect, it } from "vitest";
import * as engineGuard from "../../../container/url-guard/index";
import * as searchGuard from "../../../search/url-guard/index";
import { ALLOWED_URLS, NOT_FETCHABLE, REFUSED_URLS, RESOLVED } from "./guard-table";

describe.each([
  ["search/url-guard", searchGuard],
  ["container/url-guard", engineGuard],
] as const)("%s", (_name, guard) => {
  it(`refuses all ${REFUSED_URLS.length} private spellings, naming the rule`, () => {
    const passed = REFUSED_URLS.filter((url) => guard.checkOutboundUrl(url).ok);
    expect(passed).toEqual([]);
    for (const url of REFUSED_URLS) {
      const verdict = guard.checkOutboundUrl(url);
      if (verdict.ok) continue;
      expect(verdict.reason).toBe("blocked-address");
      expect(["ip-range", "host-name"]).toContain(verdict.rule);
      expect(verdict.detail.length).toBeGreaterThan(10);
    }
  });

  it(`allows all ${ALLOWED_URLS.length} public spellings`, () => {
    const refused = ALLOWED_URLS.map((url) => [url, guard.checkOutboundUrl(url)] as const).filter(([, verdict]) => !verdict.ok);
    expect(refused).toEqual([]);
  });

  it("refuses what is not an http(s) URL without credentials, and never throws", () => {
    for (const url of NOT_FETCHABLE) expect(guard.checkOutboundUrl(url)).toMatchObject({ ok: false, reason: "bad-scheme" });
    expect(guard.checkOutboundUrl("not a url")).toMatchObject({ rule: "invalid-url" });
    expect(guard.checkOutboundUrl("file:///etc/passwd")).toMatchObject({ rule: "scheme" });
    expect(guard.checkOutboundUrl("https://u:p@example.com/")).toMatchObject({ rule: "credentials" });
  });

  it("classifies resolver answers: only public addresses may be connected to", () => {
    const wrong = RESOLVED.filter(([address, expected]) => guard.classifyAddress(address).public !== expected);
    expect(wrong).toEqual([]);
    expect(guard.classifyAddress("::ffff:10.0.0.1")).toMatchObject({ public: false, range: expect.stringMatching(/IPv4-mapped.*10\.0\.0\.0\/8/) });
  });

  it("exempts exactly the listed hosts, or every private target when asked", () => {
    expect(guard.checkOutboundUrl("http://127.0.0.1:9000/", { allowHosts: ["127.0.0.1:9000"] }).ok).toBe(true);
    expect(guard.checkOutboundUrl("http://127.0.0.1:9001/", { allowHosts: ["127.0.0.1:9000"] }).ok).toBe(false);
    expect(guard.checkOutboundUrl("http://169.254.169.254/", { allowHosts: ["127.0.0.1:9000"] }).ok).toBe(false);
    expect(guard.checkOutboundUrl("http://localhost:3000/", { allowHosts: ["localhost"] }).ok).toBe(true);
    expect(guard.checkOutboundUrl("http://10.0.0.1/", { allowPrivateAddresses: true }).ok).toBe(true);
    expect(guard.checkOutboundUrl("file:///x", { allowPrivateAddresses: true }).ok).toBe(false);
  });
});
