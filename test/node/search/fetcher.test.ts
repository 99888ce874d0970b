// The guarded page fetcher against a real local HTTP server: private-address redirects, stalls,
// a 50 MB body, lying content types, GBK/Big5 pages, robots.txt, bot challenges and paywalls.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPageFetcher, type PageFetcherOptions } from "../../../search/fetch";
import { REFUSED_URLS } from "../url-guard/guard-table";
import { startServer, type TestServer } from "./support/http-server";

const html = (body: string, head = ""): string => `<!doctype html><html><head>${head}<title>t</title></head><body>${body}</body></html>`;
const longText = `<p>${"Readable article text, long enough to count. ".repeat(60)}</p>`;

let server: TestServer;
let fetchPage: ReturnType<typeof createPageFetcher>;

function fetcher(overrides: Partial<PageFetcherOptions> = {}) {
  return createPageFetcher({ fetch, allowHosts: [server.host], timeoutMs: 2000, ...overrides });
}

beforeAll(async () => {
  server = await startServer({
    "/robots.txt": (_request, response) =>
      response
        .writeHead(200, { "content-type": "text/plain" })
        .end(
          "User-agent: *\nDisallow: /\n\nUser-agent: OtherBot\nUser-agent: MegrezEdgeBot\nDisallow: /private\nAllow: /private/open\nDisallow: /no-megrez$\n",
        ),
    "/page": (_request, response) => response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html(longText)),
    "/private/secret": (_request, response) => response.writeHead(200, { "content-type": "text/html" }).end(html("secret")),
    "/private/open/page": (_request, response) => response.writeHead(200, { "content-type": "text/html" }).end(html(longText)),
    "/no-megrez": (_request, response) => response.writeHead(200, { "content-type": "text/html" }).end(html(longText)),
    "/to-metadata": (_request, response) => response.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end(),
    "/to-ten": (_request, response) => response.writeHead(301, { location: "http://10.0.0.1/admin" }).end(),
    "/to-localhost": (_request, response) => response.writeHead(307, { location: "http://localhost:1/" }).end(),
    "/to-ipv6": (_request, response) => response.writeHead(308, { location: "http://[::ffff:127.0.0.1]/" }).end(),
    "/to-decimal": (_request, response) => response.writeHead(302, { location: "http://2130706433/" }).end(),
    "/to-file": (_request, response) => response.writeHead(302, { location: "file:///etc/passwd" }).end(),
    "/to-page": (_request, response) => response.writeHead(302, { location: "/page" }).end(),
    "/redirect": (request, response) => response.writeHead(302, { location: new URL(request.url ?? "/", "http://x").searchParams.get("to") ?? "/" }).end(),
    "/loop": (_request, response) => response.writeHead(302, { location: "/loop" }).end(),
    "/bad-location": (_request, response) => response.writeHead(302, { location: "http://[not-an-ip/" }).end(),
    "/stall": () => undefined,
    "/stall-body": (_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      response.write("<html><body><p>partial");
    },
    "/huge": (_request, response) => {
      response.writeHead(200, { "content-type": "text/html" });
      const chunk = Buffer.alloc(1024 * 1024, "a");
      let sent = 0;
      const pump = (): void => {
        while (sent < 50) {
          sent++;
          if (!response.write(chunk)) {
            response.once("drain", pump);
            return;
          }
        }
        response.end();
      };
      response.write("<html><body><p>");
      pump();
    },
    "/pdf-as-html": (_request, response) => response.writeHead(200, { "content-type": "text/html" }).end("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"),
    "/png-as-html": (_request, response) =>
      response.writeHead(200, { "content-type": "text/html" }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])),
    "/html-as-octet": (_request, response) => response.writeHead(200, { "content-type": "application/octet-stream" }).end(html(longText)),
    "/image": (_request, response) => response.writeHead(200, { "content-type": "image/png" }).end("x"),
    "/pdf": (_request, response) => response.writeHead(200, { "content-type": "application/pdf" }).end("%PDF-1.4"),
    // "中文网页，你好" in GBK, declared only by <meta charset>.
    "/gbk": (_request, response) =>
      response
        .writeHead(200, { "content-type": "text/html" })
        .end(
          Buffer.concat([
            Buffer.from('<html><head><meta charset="gbk"></head><body><p>'),
            Buffer.from([0xd6, 0xd0, 0xce, 0xc4, 0xcd, 0xf8, 0xd2, 0xb3, 0xa3, 0xac, 0xc4, 0xe3, 0xba, 0xc3]),
            Buffer.from("</p></body></html>"),
          ]),
        ),
    // "中文" in GB2312 declared by the HTTP header (which wins over a wrong meta).
    "/gb2312-header": (_request, response) =>
      response
        .writeHead(200, { "content-type": "text/html; charset=GB2312" })
        .end(
          Buffer.concat([Buffer.from('<html><head><meta charset="utf-8"></head><body>'), Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), Buffer.from("</body></html>")]),
        ),
    // "中文" in Big5 via http-equiv.
    "/big5": (_request, response) =>
      response
        .writeHead(200, { "content-type": "text/html" })
        .end(
          Buffer.concat([
            Buffer.from('<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5"></head><body>'),
            Buffer.from([0xa4, 0xa4, 0xa4, 0xe5]),
            Buffer.from("</body></html>"),
          ]),
        ),
    "/challenge": (_request, response) => response.writeHead(403, { "content-type": "text/html", "cf-mitigated": "challenge" }).end(html("")),
    "/just-a-moment": (_request, response) =>
      response
        .writeHead(503, { "content-type": "text/html" })
        .end("<html><head><title>Just a moment...</title></head><body>Checking your browser before accessing</body></html>"),
    "/challenge-200": (_request, response) =>
      response
        .writeHead(200, { "content-type": "text/html" })
        .end(html("<p>One moment, please.</p>", "<script>window._cf_chl_opt={cvId:'3',cType:'managed'};</script>")),
    "/about-challenges": (_request, response) =>
      response
        .writeHead(200, { "content-type": "text/html" })
        .end(html(`<p>Challenge pages carry <code>_cf_chl_opt</code> and say "Just a moment...".</p>${longText}`)),
    "/paywall": (_request, response) =>
      response.writeHead(200, { "content-type": "text/html" }).end(html('<p>Teaser.</p><div class="paywall">Subscribe to continue reading.</div>')),
    "/missing": (_request, response) => response.writeHead(404, { "content-type": "text/html" }).end(html("gone")),
    "/slow": (_request, response) => setTimeout(() => response.writeHead(200, { "content-type": "text/plain" }).end("ok"), 150),
  });
  fetchPage = fetcher();
});

afterAll(async () => {
  await server.close();
});

describe("createPageFetcher", () => {
  it("fetches an HTML page from an allowed host", async () => {
    const outcome = await fetchPage(`${server.origin}/page`);
    expect(outcome).toMatchObject({ ok: true, status: 200, contentType: "text/html", truncated: false, charset: "utf-8" });
    if (outcome.ok) expect(outcome.body).toContain("Readable article text");
  });

  it("refuses private targets unless allowed, and the allow-list covers only the listed host", async () => {
    expect(await createPageFetcher({ fetch }).call(null, `${server.origin}/page`)).toMatchObject({ ok: false, reason: "blocked-address" });
    const redirected = await fetchPage(`${server.origin}/to-page`);
    expect(redirected).toMatchObject({ ok: true, finalUrl: `${server.origin}/page` });
  });

  it.each(["/to-metadata", "/to-ten", "/to-localhost", "/to-ipv6", "/to-decimal"])("refuses a redirect to a private address (%s)", async (path) => {
    const outcome = await fetchPage(`${server.origin}${path}`);
    expect(outcome).toMatchObject({ ok: false, reason: "blocked-address" });
  });

  it("refuses a redirect to every private spelling of the guard's table, without following it", async () => {
    const latin1 = REFUSED_URLS.filter((url) => /^[\x20-\x7e]*$/.test(url));
    const noRobots = fetcher({ robots: false });
    const followed: string[] = [];
    for (const url of latin1) {
      const outcome = await noRobots(`${server.origin}/redirect?to=${encodeURIComponent(url)}`);
      if (!outcome.ok && outcome.reason === "blocked-address" && outcome.status === 302) continue;
      followed.push(url);
    }
    expect(latin1.length).toBeGreaterThan(700);
    expect(followed).toEqual([]);
  });

  it("refuses non-http schemes, at the start and on redirect", async () => {
    expect(await fetchPage("file:///etc/passwd")).toMatchObject({ ok: false, reason: "bad-scheme" });
    expect(await fetchPage("ftp://example.com/")).toMatchObject({ ok: false, reason: "bad-scheme" });
    expect(await fetchPage(`${server.origin}/to-file`)).toMatchObject({ ok: false, reason: "bad-scheme" });
  });

  it("caps redirects and reports an unusable Location", async () => {
    expect(await fetchPage(`${server.origin}/loop`)).toMatchObject({ ok: false, reason: "too-many-redirects" });
    expect(await fetchPage(`${server.origin}/bad-location`)).toMatchObject({ ok: false, reason: "http-error", status: 302 });
  });

  it("times out a stalled server and a stalled body", async () => {
    const quick = fetcher({ timeoutMs: 300 });
    const started = Date.now();
    expect(await quick(`${server.origin}/stall`)).toMatchObject({ ok: false, reason: "timeout" });
    expect(await quick(`${server.origin}/stall-body`)).toMatchObject({ ok: false, reason: "timeout" });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("reports the overall deadline separately from the page timeout", async () => {
    const clock = { now: 1_000 };
    const late = fetcher({ deadline: 1_000, now: () => clock.now });
    expect(await late(`${server.origin}/page`)).toMatchObject({ ok: false, reason: "deadline" });
    const tight = fetcher({ deadline: Date.now() + 200 });
    expect(await tight(`${server.origin}/stall`)).toMatchObject({ ok: false, reason: "deadline" });
  });

  it("truncates a 50 MB body at the byte cap", async () => {
    const capped = fetcher({ maxBytes: 256 * 1024, timeoutMs: 5000 });
    const outcome = await capped(`${server.origin}/huge`);
    expect(outcome).toMatchObject({ ok: true, truncated: true });
    if (outcome.ok) expect(outcome.body.length).toBeLessThanOrEqual(256 * 1024);
  });

  it("trusts bytes over a lying content-type", async () => {
    expect(await fetchPage(`${server.origin}/pdf-as-html`)).toMatchObject({ ok: false, reason: "pdf" });
    expect(await fetchPage(`${server.origin}/png-as-html`)).toMatchObject({ ok: false, reason: "unsupported-type" });
    expect(await fetchPage(`${server.origin}/html-as-octet`)).toMatchObject({ ok: true, contentType: "text/html" });
    expect(await fetchPage(`${server.origin}/image`)).toMatchObject({ ok: false, reason: "unsupported-type" });
    expect(await fetchPage(`${server.origin}/pdf`)).toMatchObject({ ok: false, reason: "pdf" });
  });

  it("decodes GBK, GB2312 (header wins) and Big5 pages", async () => {
    const gbk = await fetchPage(`${server.origin}/gbk`);
    expect(gbk).toMatchObject({ ok: true, charset: "gbk" });
    if (gbk.ok) expect(gbk.body).toContain("中文网页，你好");
    const gb2312 = await fetchPage(`${server.origin}/gb2312-header`);
    expect(gb2312).toMatchObject({ ok: true, charset: "gbk" });
    if (gb2312.ok) expect(gb2312.body).toContain("中文");
    const big5 = await fetchPage(`${server.origin}/big5`);
    expect(big5).toMatchObject({ ok: true, charset: "big5" });
    if (big5.ok) expect(big5.body).toContain("中文");
  });

  it("honours robots.txt for our token and caches it per origin", async () => {
    const robotsFetcher = fetcher();
    const before = server.hits.get("/robots.txt") ?? 0;
    expect(await robotsFetcher(`${server.origin}/private/secret`)).toMatchObject({ ok: false, reason: "robots-disallowed" });
    expect(await robotsFetcher(`${server.origin}/private/open/page`)).toMatchObject({ ok: true });
    expect(await robotsFetcher(`${server.origin}/no-megrez`)).toMatchObject({ ok: false, reason: "robots-disallowed" });
    // Our own group applies, not "*" (which disallows everything).
    expect(await robotsFetcher(`${server.origin}/page`)).toMatchObject({ ok: true });
    expect((server.hits.get("/robots.txt") ?? 0) - before).toBe(1);
    expect(await fetcher({ robots: false })(`${server.origin}/private/secret`)).toMatchObject({ ok: true });
  });

  it("treats a 5xx robots.txt as disallow-all and a 404 one as allow-all (RFC 9309)", async () => {
    const broken = await startServer({
      "/robots.txt": (_request, response) => response.writeHead(503).end("down"),
      "/page": (_request, response) => response.writeHead(200, { "content-type": "text/html" }).end(html(longText)),
    });
    const missing = await startServer({ "/page": (_request, response) => response.writeHead(200, { "content-type": "text/html" }).end(html(longText)) });
    try {
      const brokenFetch = createPageFetcher({ fetch, allowHosts: [broken.host] });
      expect(await brokenFetch(`${broken.origin}/page`)).toMatchObject({ ok: false, reason: "robots-disallowed" });
      const missingFetch = createPageFetcher({ fetch, allowHosts: [missing.host] });
      expect(await missingFetch(`${missing.origin}/page`)).toMatchObject({ ok: true });
    } finally {
      await broken.close();
      await missing.close();
    }
  });

  it("detects bot challenges and paywall stubs", async () => {
    expect(await fetchPage(`${server.origin}/challenge`)).toMatchObject({ ok: false, reason: "bot-challenge", status: 403 });
    expect(await fetchPage(`${server.origin}/just-a-moment`)).toMatchObject({ ok: false, reason: "bot-challenge", status: 503 });
    expect(await fetchPage(`${server.origin}/paywall`)).toMatchObject({ ok: false, reason: "paywall" });
    expect(await fetchPage(`${server.origin}/challenge-200`)).toMatchObject({ ok: false, reason: "bot-challenge", status: 200 });
  });

  it("reads a page that only writes about challenge markers (an article, not an interstitial)", async () => {
    const page = await fetchPage(`${server.origin}/about-challenges`);
    expect(page).toMatchObject({ ok: true });
  });

  it("reports HTTP errors and unreachable hosts as typed failures", async () => {
    expect(await fetchPage(`${server.origin}/missing`)).toMatchObject({ ok: false, reason: "http-error", status: 404 });
    const dead = await startServer({});
    const deadOrigin = dead.origin;
    const deadHost = dead.host;
    await dead.close();
    expect(await createPageFetcher({ fetch, allowHosts: [deadHost] })(`${deadOrigin}/x`)).toMatchObject({ ok: false, reason: "network" });
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    const limited = fetcher({ concurrency: 2, robots: false });
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => limited(`${server.origin}/slow`)));
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(server.maxConcurrent("/slow")).toBe(2);
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    const pending = fetchPage(`${server.origin}/stall`, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toMatchObject({ ok: false, reason: "network", detail: "aborted by caller" });
  });
});
