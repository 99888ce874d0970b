// The engine's media URL fetcher on a loopback server: private addresses refused by default (by literal, by name, after
// a redirect, and at connect time through the DNS lookup hook with injected answers: never real traffic to a private
// range), unusable redirect Locations answered as input errors (they used to crash the process), and with the test
// server's host exempted: size cap, deadline, redirect limit, HTTP errors.
import type { LookupAddress } from "node:dns";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guardedLookup, type Resolver } from "../../../container/net/guarded-lookup";
import { guardedFetch } from "../../../container/omni/guarded-fetch";
import { isOmniInputError } from "../../../container/omni/omni-input-error";
import { REFUSED_URLS } from "../url-guard/guard-table";

let server: Server;
let base: string;
let port: number;
let hits = 0;
const limits = { maxBytes: 1000, timeoutMs: 500, maxRedirects: 2 };
const BAD_LOCATIONS = ["http://[", "http://a b/", "http://127.0.0.1:99999/", "http://[::1", "https://exa mple.com/", "http://%zz/"];

beforeAll(async () => {
  server = createServer((request, response) => {
    hits += 1;
    const url = new URL(request.url ?? "/", "http://x");
    const path = url.pathname;
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
    if (path === "/redirect") return response.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const exempt = () => ({ allowHosts: [`127.0.0.1:${port}`] });

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "succeeded";
  } catch (error) {
    return isOmniInputError(error) ? `${error.code}: ${error.message}` : `other: ${String(error)}`;
  }
}

/** A resolver with scripted answers, one per call (the last repeats); records the names asked for. */
function scripted(...answers: string[][]): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = (hostname: string, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => {
    const answer = answers[Math.min(asked.length, answers.length - 1)] ?? [];
    asked.push(hostname);
    callback(
      null,
      answer.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
    );
  };
  return Object.assign(resolver, { asked });
}

describe("guarded media fetch", () => {
  it("refuses loopback, private and reserved addresses by default, without connecting", async () => {
    const before = hits;
    expect(await failure(guardedFetch(`${base}/small`))).toMatch(/media_fetch_failed: .*private or reserved.*127\.0\.0\.0\/8/);
    expect(await failure(guardedFetch(`${base.replace("127.0.0.1", "localhost")}/small`))).toMatch(/private or reserved/);
    expect(await failure(guardedFetch(`http://2130706433:${port}/small`))).toMatch(/private or reserved/);
    expect(hits).toBe(before);
  });

  it("rejects non-http schemes, URLs with credentials and text that is no URL, as input errors", async () => {
    expect(await failure(guardedFetch("file:///etc/passwd"))).toMatch(/only http and https/);
    expect(await failure(guardedFetch(`http://user:secret@127.0.0.1:${port}/x`, { policy: exempt() }))).toMatch(/credentials/);
    expect(await failure(guardedFetch("http://["))).toMatch(/media_fetch_failed: .*not a valid absolute URL/);
  });

  it("with the test server exempt: fetches, follows a redirect, caps size, times out, stops redirect loops", async () => {
    const policy = exempt();
    expect((await guardedFetch(`${base}/small`, { policy, limits })).byteLength).toBe(600);
    expect((await guardedFetch(`${base}/to-small`, { policy, limits })).byteLength).toBe(600);
    expect(await failure(guardedFetch(`${base}/big`, { policy, limits }))).toMatch(/larger than 1000 bytes/);
    expect(await failure(guardedFetch(`${base}/big-chunked`, { policy, limits }))).toMatch(/larger than 1000 bytes/);
    expect(await failure(guardedFetch(`${base}/slow`, { policy, limits }))).toMatch(/no answer within 500 ms/);
    expect(await failure(guardedFetch(`${base}/loop`, { policy, limits }))).toMatch(/more than 2 redirects/);
    expect(await failure(guardedFetch(`${base}/missing`, { policy, limits }))).toMatch(/HTTP 404/);
  });

  it.each(BAD_LOCATIONS)("answers a redirect to the unusable Location %j with an input error", async (location) => {
    const outcome = await failure(guardedFetch(`${base}/redirect?to=${encodeURIComponent(location)}`, { policy: exempt(), limits }));
    expect(outcome).toMatch(/media_fetch_failed: .*(unusable Location|not a valid absolute URL|private or reserved)/);
  });

  it("refuses a redirect to every private spelling of the guard's table, without connecting to it", async () => {
    const resolver = scripted(["127.0.0.1"]);
    const followed: string[] = [];
    for (const url of REFUSED_URLS.filter((entry) => /^[\x20-\x7e]*$/.test(entry))) {
      const outcome = await failure(guardedFetch(`${base}/redirect?to=${encodeURIComponent(url)}`, { policy: exempt(), limits, resolve: resolver }));
      if (!/private or reserved/.test(outcome)) followed.push(`${url} → ${outcome}`);
    }
    expect(followed).toEqual([]);
    expect(resolver.asked).toEqual([]);
  });

  it("checks the DNS answer the socket connects with: a name answering a private address is refused before connecting", async () => {
    const before = hits;
    const toLoopback = scripted(["127.0.0.1"]);
    expect(await failure(guardedFetch(`http://images.example.com:${port}/small`, { limits, resolve: toLoopback }))).toMatch(
      /resolves to 127\.0\.0\.1, in 127\.0\.0\.0\/8/,
    );
    const mixed = scripted(["93.184.216.34", "10.0.0.7"]);
    expect(await failure(guardedFetch(`http://cdn.example.com:${port}/small`, { limits, resolve: mixed }))).toMatch(/resolves to 10\.0\.0\.7/);
    const viaRedirect = scripted(["::ffff:127.0.0.1"]);
    expect(
      await failure(
        guardedFetch(`${base}/redirect?to=${encodeURIComponent(`http://rebind.example.net:${port}/small`)}`, {
          policy: exempt(),
          limits,
          resolve: viaRedirect,
        }),
      ),
    ).toMatch(/resolves to ::ffff:7f00:1/);
    expect(toLoopback.asked).toEqual(["images.example.com"]);
    expect(viaRedirect.asked).toEqual(["rebind.example.net"]);
    expect(hits).toBe(before + 1); // only the exempt server's redirect answered
    // The same name, exempted, connects to the answer it was given: it is the lookup that refused above.
    const exemptName = { allowHosts: [`images.example.com:${port}`] };
    expect((await guardedFetch(`http://images.example.com:${port}/small`, { policy: exemptName, limits, resolve: toLoopback })).byteLength).toBe(600);
  });

  it("re-checks every lookup: an answer that turns private between two lookups of the same name is refused", async () => {
    const rebinding = scripted(["93.184.216.34"], ["127.0.0.1"]);
    const lookup = guardedLookup(new URL("http://rebind.example.org/"), {}, rebinding);
    const first = await new Promise<string>((resolve) =>
      lookup("rebind.example.org", {}, (error, address) => resolve(error ? `error ${error.message}` : String(address))),
    );
    const second = await new Promise<string>((resolve) =>
      lookup("rebind.example.org", {}, (error, address) => resolve(error ? `${(error as NodeJS.ErrnoException).code} ${error.message}` : String(address))),
    );
    expect(first).toBe("93.184.216.34");
    expect(second).toBe("EADDRBLOCKED rebind.example.org resolves to 127.0.0.1, in 127.0.0.0/8 loopback (RFC 1122)");
  });
});
