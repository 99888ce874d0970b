// The media URL fetcher on a loopback server: private addresses refused by default (also after a redirect and by
// name), and with loopback allowed by an explicit test policy: size cap, deadline, redirect limit, HTTP errors.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardedFetch, publicAddressesOnly, type AddressPolicy } from "../../../container/omni/guarded-fetch";
import { isOmniInputError } from "../../../container/omni/omni-input-error";

let server: Server;
let base: string;
let hits = 0;
const loopbackAllowed: AddressPolicy = (address) => address === "127.0.0.1" || address === "::1";
const limits = { maxBytes: 1000, timeoutMs: 500, maxRedirects: 2 };

beforeAll(async () => {
  server = createServer((request, response) => {
    hits += 1;
    const path = request.url ?? "/";
    if (path === "/small") return response.end(Buffer.alloc(600, 7));
    if (path === "/big") return response.end(Buffer.alloc(5000, 7));
    if (path === "/big-chunked") {
      response.write(Buffer.alloc(700, 1));
      setTimeout(() => response.end(Buffer.alloc(700, 1)), 20);
      return;
    }
    if (path === "/slow") return void setTimeout(() => response.end("late"), 2000);
    if (path === "/loop") return response.writeHead(302, { location: "/loop" }).end();
    if (path === "/to-small") return response.writeHead(301, { location: "/small" }).end();
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "succeeded";
  } catch (error) {
    return isOmniInputError(error) ? `${error.code}: ${error.message}` : `other: ${String(error)}`;
  }
}

describe("guarded media fetch", () => {
  it("refuses loopback, private and reserved addresses by default, without connecting", async () => {
    const before = hits;
    expect(await failure(guardedFetch(`${base}/small`))).toMatch(/media_fetch_failed: .*private or reserved/);
    expect(await failure(guardedFetch(`${base.replace("127.0.0.1", "localhost")}/small`))).toMatch(/private or reserved/);
    expect(hits).toBe(before);
    for (const [address, family] of [
      ["10.1.2.3", 4],
      ["192.168.0.1", 4],
      ["169.254.169.254", 4],
      ["::1", 6],
      ["fd00::1", 6],
      ["::ffff:127.0.0.1", 6],
    ] as const) {
      expect(publicAddressesOnly(address, family)).toBe(false);
    }
    expect(publicAddressesOnly("93.184.216.34", 4)).toBe(true);
    expect(publicAddressesOnly("2606:4700::1111", 6)).toBe(true);
  });

  it("rejects non-http schemes and URLs with credentials", async () => {
    expect(await failure(guardedFetch("file:///etc/passwd"))).toMatch(/only http and https/);
    expect(await failure(guardedFetch(`http://user:secret@127.0.0.1/x`, { policy: loopbackAllowed }))).toMatch(/credentials/);
  });

  it("with loopback allowed: fetches, follows a redirect, caps size, times out, stops redirect loops", async () => {
    expect((await guardedFetch(`${base}/small`, { policy: loopbackAllowed, limits })).byteLength).toBe(600);
    expect((await guardedFetch(`${base}/to-small`, { policy: loopbackAllowed, limits })).byteLength).toBe(600);
    expect(await failure(guardedFetch(`${base}/big`, { policy: loopbackAllowed, limits }))).toMatch(/larger than 1000 bytes/);
    expect(await failure(guardedFetch(`${base}/big-chunked`, { policy: loopbackAllowed, limits }))).toMatch(/larger than 1000 bytes/);
    expect(await failure(guardedFetch(`${base}/slow`, { policy: loopbackAllowed, limits }))).toMatch(/no answer within 500 ms/);
    expect(await failure(guardedFetch(`${base}/loop`, { policy: loopbackAllowed, limits }))).toMatch(/more than 2 redirects/);
    expect(await failure(guardedFetch(`${base}/missing`, { policy: loopbackAllowed, limits }))).toMatch(/HTTP 404/);
  });
});
