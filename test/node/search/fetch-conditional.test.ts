// The guarded fetcher's crawler features against a real local server: conditional requests
// (validators out, 304 as `not-modified`), and raw bytes (a gzip sitemap) through the same guards.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedFetcher } from "../../../search/fetch";
import { startServer, type TestServer } from "./support/http-server";

const page = `<!doctype html><html><head><title>Doc</title></head><body><article><p>${"Readable text. ".repeat(40)}</p></article></body></html>`;
const etag = `"${createHash("sha1").update(page).digest("hex").slice(0, 12)}"`;
const modified = "Fri, 02 Jan 2026 00:00:00 GMT";

let server: TestServer;
const seen: Array<{ ifNoneMatch?: string; ifModifiedSince?: string }> = [];

beforeAll(async () => {
  server = await startServer({
    "/doc": (request, response) => {
      seen.push({ ifNoneMatch: request.headers["if-none-match"], ifModifiedSince: request.headers["if-modified-since"] });
      if (request.headers["if-none-match"] === etag || request.headers["if-modified-since"] === modified) return void response.writeHead(304, { etag }).end();
      response.writeHead(200, { "content-type": "text/html", etag, "last-modified": modified }).end(page);
    },
    "/sitemap.xml.gz": (_request, response) => response.writeHead(200, { "content-type": "application/gzip" }).end(gzipSync("<urlset></urlset>")),
    "/to-private": (_request, response) => response.writeHead(302, { location: "http://10.0.0.1/sitemap.xml" }).end(),
    "/gone": (_request, response) => response.writeHead(410).end(),
  });
});
afterAll(() => server.close());

describe("conditional requests and raw bytes", () => {
  const fetcher = () => createGuardedFetcher({ fetch, allowHosts: [server.host], timeoutMs: 2000, robots: false });

  it("returns the validators and reports a 304 to a conditional request as not-modified", async () => {
    const { fetchPage } = fetcher();
    const first = await fetchPage(`${server.origin}/doc`);
    expect(first).toMatchObject({ ok: true, etag, lastModified: modified });
    expect(await fetchPage(`${server.origin}/doc`, undefined, { conditional: { etag } })).toMatchObject({ ok: false, reason: "not-modified", status: 304 });
    expect(await fetchPage(`${server.origin}/doc`, undefined, { conditional: { lastModified: modified } })).toMatchObject({
      ok: false,
      reason: "not-modified",
    });
    expect(seen.slice(-3)).toEqual([{}, { ifNoneMatch: etag }, { ifModifiedSince: modified }]);
  });

  it("reads bytes the page gates would refuse (gzip), with the same address guard and HTTP errors", async () => {
    const { fetchBytes, fetchPage } = fetcher();
    expect(await fetchPage(`${server.origin}/sitemap.xml.gz`)).toMatchObject({ ok: false, reason: "unsupported-type" });
    const gz = await fetchBytes(`${server.origin}/sitemap.xml.gz`);
    expect(gz.ok && [gz.bytes[0], gz.bytes[1], gz.contentType]).toEqual([0x1f, 0x8b, "application/gzip"]);
    expect(await fetchBytes(`${server.origin}/to-private`)).toMatchObject({ ok: false, reason: "blocked-address" });
    expect(await fetchBytes(`${server.origin}/gone`)).toMatchObject({ ok: false, reason: "http-error", status: 410 });
    expect(await fetchBytes("http://169.254.169.254/latest/meta-data/")).toMatchObject({ ok: false, reason: "blocked-address" });
  });
});
