/**
 * The loopback test site for the crawler tests (a Node global setup of the workers project): a
 * control server on 127.0.0.1 that starts one fresh site per request, each on its own port, so
 * every test has its own robots.txt, request log and page versions. A site is a small docs site
 * with everything a crawl meets: a robots.txt (Disallow, optional Crawl-delay, a Sitemap line), a
 * sitemap index with a gzip-compressed sitemap, a redirect, a page that never answers, a 404, a
 * PDF and a binary file, a GBK-encoded Chinese page, a bot challenge, pages reachable only through
 * links, a redirect to the cloud metadata address, ETag / Last-Modified with 304s, and a slow page
 * (to stop the crawler mid-request).
 *
 * Control API (JSON): POST /sites {crawlDelay?, slowMs?} → {origin}; GET <site>/__log → requests;
 * POST <site>/__change?path=… → that page's text changes (new version, new ETag); POST <site>/__down →
 * from then on every URL (robots.txt too) answers 503, as a site in an outage does.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    testSiteControl: string;
  }
}

interface SiteOptions {
  crawlDelay?: number;
  /** How long /docs/slowish takes to answer. */
  slowMs?: number;
}

export interface LoggedRequest {
  path: string;
  status: number;
  at: number;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  userAgent: string | null;
}

const html = (title: string, body: string, head = "") =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}<title>${title}</title></head><body><main><article><h1>${title}</h1>${body}</article></main></body></html>`;

const para = (text: string) => `<p>${text}</p>`;

/** The site's pages: path → [title, body HTML]. Text mentions distinctive words the tests search for. */
function pages(origin: string): Record<string, [string, string]> {
  return {
    "/": [
      "Acme Docs",
      `${para("Welcome to the Acme documentation home.")}<ul><li><a href="/docs/install">Install</a></li><li><a href="/docs/faq">FAQ</a></li></ul>`,
    ],
    "/docs/install": [
      "Installing Acme",
      `<h2>Requirements</h2>${para("Acme installs with the zephyrine package manager on any Linux host.")}<h2>Steps</h2>${para(
        "Run the installer, then open the configuration page to finish setting up the quasar daemon.",
      )}<p><a href="/docs/configure">Configure</a> <a href="/docs/install#top">top</a> <a href="/docs/install?utm_source=nav">again</a> <a href="/docs/hidden">hidden gem</a> <a href="https://other.example/elsewhere">elsewhere</a> <a href="mailto:docs@acme.test">mail</a> <a href="/private/secret">secret</a> <a href="/docs/nofollowed" rel="nofollow">nf</a></p>`,
    ],
    "/docs/configure": [
      "Configuring Acme",
      `${para("The configuration file sets the flux capacitor level and the telemetry endpoint.")}<p><a href="/to-metadata">instance settings</a></p>`,
    ],
    "/docs/hidden": ["Hidden gem", `${para("This page is linked from the install guide only: the marmalade protocol lives here.")}`],
    "/docs/moved": ["Moved page", `${para("The old page moved here; it explains the obsidian migration.")}`],
    "/docs/faq": ["Acme FAQ", `${para("Frequently asked: can Acme run offline? Yes, with the lighthouse cache enabled.")}`],
    "/docs/slowish": ["Slow page", `${para("This page answers slowly; it documents the tortoise mode.")}`],
    "/private/secret": ["Secret", para("robots.txt disallows this page: it must never be requested.")],
    "/sitemap-only": ["Sitemap only", para(`Only the sitemap lists this page on ${origin}: the platypus index.`)],
  };
}

const GBK_PAGE = Buffer.from(
  // "<html><head><meta charset=gbk><title>中文页面</title></head><body><p>这是用国标编码写的中文页面，介绍向量检索与分词。</p></body></html>" in GBK
  "3c68746d6c3e3c686561643e3c6d65746120636861727365743d67626b3e3c7469746c653ed6d0cec4d2b3c3e63c2f7469746c653e3c2f686561643e3c626f64793e3c703ed5e2cac7d3c3b9fab1eab1e0c2ebd0b4b5c4d6d0cec4d2b3c3e6a3acbde9c9dccff2c1bfbceccbf7d3ebb7d6b4caa1a33c2f703e3c2f626f64793e3c2f68746d6c3e",
  "hex",
);

function sitemapXml(entries: string[], index = false): string {
  const tag = index ? "sitemap" : "url";
  const root = index ? "sitemapindex" : "urlset";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries
    .map((loc) => `  <${tag}><loc>${loc.replaceAll("&", "&amp;")}</loc><lastmod>2026-01-02</lastmod></${tag}>`)
    .join("\n")}\n</${root}>\n`;
}

async function startSite(options: SiteOptions): Promise<{ origin: string; server: Server }> {
  const log: LoggedRequest[] = [];
  const versions = new Map<string, number>();
  let down = false;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://x");
    const path = url.pathname;
    if (path === "/__log") return void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(log));
    if (path === "/__change" && request.method === "POST") {
      const target = url.searchParams.get("path") ?? "/";
      versions.set(target, (versions.get(target) ?? 1) + 1);
      return void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path: target, version: versions.get(target) }));
    }
    if (path === "/__down" && request.method === "POST") {
      down = true;
      return void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ down }));
    }
    const entry: LoggedRequest = {
      path: `${path}${url.search}`,
      status: 0,
      at: Date.now(),
      ifNoneMatch: request.headers["if-none-match"] ?? null,
      ifModifiedSince: request.headers["if-modified-since"] ?? null,
      userAgent: request.headers["user-agent"] ?? null,
    };
    log.push(entry);
    const send = (status: number, headers: Record<string, string>, body?: string | Buffer) => {
      entry.status = status;
      response.writeHead(status, headers).end(body);
    };
    if (down) return send(503, { "content-type": "text/html", "retry-after": "60" }, html("Service unavailable", para("Down for maintenance.")));
    serve(path, url, request, send, entry);
  });

  let origin = "";
  const serve = (
    path: string,
    _url: URL,
    request: IncomingMessage,
    send: (status: number, headers: Record<string, string>, body?: string | Buffer) => void,
    entry: LoggedRequest,
  ) => {
    const site = pages(origin);
    switch (path) {
      case "/robots.txt":
        return send(
          200,
          { "content-type": "text/plain" },
          `User-agent: *\nDisallow: /private/\n${options.crawlDelay ? `Crawl-delay: ${options.crawlDelay}\n` : ""}\nSitemap: ${origin}/sitemap_index.xml\n`,
        );
      case "/sitemap_index.xml":
        return send(200, { "content-type": "application/xml" }, sitemapXml([`${origin}/sitemaps/pages.xml.gz`, `${origin}/sitemaps/more.xml`], true));
      case "/sitemaps/pages.xml.gz":
        return send(
          200,
          { "content-type": "application/gzip" },
          gzipSync(
            sitemapXml(
              ["/docs/install", "/docs/configure", "/old-page", "/private/secret", "/never", "/missing", "/files/manual.pdf", "/gbk", "/sitemap-only"].map(
                (p) => `${origin}${p}`,
              ),
            ),
          ),
        );
      case "/sitemaps/more.xml":
        return send(
          200,
          { "content-type": "application/xml" },
          sitemapXml(["/docs/faq", "/challenge", "/files/data.bin", "/docs/slowish", "/"].map((p) => `${origin}${p}`)),
        );
      case "/old-page":
        return send(301, { location: "/docs/moved" });
      case "/to-metadata":
        return send(302, { location: "http://169.254.169.254/latest/meta-data/" });
      case "/never":
        entry.status = -1;
        return; // never answers
      case "/files/manual.pdf":
        return send(200, { "content-type": "application/pdf" }, "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n");
      case "/files/data.bin":
        return send(200, { "content-type": "application/octet-stream" }, Buffer.from([0, 1, 2, 3, 0, 0, 7, 8, 9]));
      case "/gbk":
        return send(200, { "content-type": "text/html" }, GBK_PAGE);
      case "/challenge":
        return send(
          503,
          { "content-type": "text/html", "cf-mitigated": "challenge" },
          "<html><head><title>Just a moment...</title></head><body>checking</body></html>",
        );
    }
    const page = site[path];
    if (!page) return send(404, { "content-type": "text/html" }, html("Not found", para("No such page.")));
    const version = versions.get(path) ?? 1;
    const [title, body] = page;
    const text = html(title, version > 1 ? `${body}${para(`Revision ${version}: now covers the nebula upgrade.`)}` : body);
    const etag = `"${createHash("sha1").update(text).digest("hex").slice(0, 16)}"`;
    const lastModified = new Date(Date.UTC(2026, 0, version)).toUTCString();
    const headers = { "content-type": "text/html; charset=utf-8", etag, "last-modified": lastModified };
    if (request.headers["if-none-match"] === etag) return send(304, { etag, "last-modified": lastModified });
    const respond = () => send(200, headers, text);
    if (path === "/docs/slowish" && options.slowMs) setTimeout(respond, options.slowMs);
    else respond();
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, server };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers: Server[] = [];
  const control = createServer((request, response) => {
    if (request.method !== "POST" || request.url !== "/sites") return void response.writeHead(404).end();
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const options = body ? (JSON.parse(body) as SiteOptions) : {};
      startSite(options).then(
        ({ origin, server }) => {
          servers.push(server);
          response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ origin }));
        },
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  project.provide("testSiteControl", `http://127.0.0.1:${(control.address() as AddressInfo).port}`);
  return async () => {
    for (const server of [...servers, control]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}
