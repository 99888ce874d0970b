/**
 * The widget's static routes inside workerd: the script, the demo page and
 * its stylesheet come from the assets binding (dist/assets, built by
 * scripts/build-widget.ts) with the headers the widget relies on.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("widget routes", () => {
  it("serves widget.js for any site: script type, CORS, CORP, short cache", async () => {
    const response = await SELF.fetch("http://example.com/widget.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toContain("max-age=300");
    const code = await response.text();
    expect(code).toContain("MegrezChat");
  });

  it("answers a revalidation with 304 when the script has not changed", async () => {
    const first = await SELF.fetch("http://example.com/widget.js");
    await first.arrayBuffer();
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    const second = await SELF.fetch("http://example.com/widget.js", { headers: { "if-none-match": etag ?? "" } });
    expect(second.status).toBe(304);
  });

  it("serves the demo page with a strict CSP and the embed tag", async () => {
    const response = await SELF.fetch("http://example.com/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await response.text();
    expect(html).toMatch(/<script src="\/widget\.js" data-site-key="demo"[^>]* async><\/script>/);
    expect(html).not.toMatch(/<style|<script>(?!<)/);
  });

  it("serves the demo stylesheet as CSS", async () => {
    const response = await SELF.fetch("http://example.com/demo.css");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });
});

describe("widget capabilities", () => {
  it("offers no attachments unless ATTACHMENTS lists them", async () => {
    const response = await SELF.fetch("http://example.com/widget/capabilities");
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(await response.json()).toEqual({ attachments: { image: false, audio: false }, maxAttachmentBytes: 4 * 1024 * 1024, mediaTypes: [] });
  });
});
