/**
 * Serves the embeddable widget (`/widget.js`) and its demo page (`/`, with
 * `/demo.css`) from the static assets binding, adding the headers the assets
 * layer does not: the script is loadable from any site (CORS, CORP) and
 * revalidated every few minutes since its URL is not versioned; the demo page
 * carries a strict Content-Security-Policy, which proves the widget needs no
 * inline script or style. `/widget/capabilities` tells the widget which
 * attachments to offer. The chat API itself lives elsewhere (/api/chat).
 */
import { Hono, type Context } from "hono";
import { attachmentMediaTypes } from "../attachments";
import { configFromEnv } from "../config";
import { ApiError, errorResponse, misconfigured } from "../errors";
import type { Env } from "../env";

/** The demo page's policy: only same-origin scripts, styles and connections. */
export const demoPageCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const widgetHeaders: Record<string, string> = {
  "content-type": "text/javascript; charset=utf-8",
  "cache-control": "public, max-age=300, stale-while-revalidate=86400",
  "access-control-allow-origin": "*",
  "cross-origin-resource-policy": "cross-origin",
  "x-content-type-options": "nosniff",
};

const demoPageHeaders: Record<string, string> = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "content-security-policy": demoPageCsp,
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-content-type-options": "nosniff",
};

const demoStyleHeaders: Record<string, string> = {
  "content-type": "text/css; charset=utf-8",
  "cache-control": "public, max-age=300",
  "x-content-type-options": "nosniff",
};

/** Fetches `assetPath` from the assets binding and replaces its headers. */
async function serveAsset(c: Context<{ Bindings: Env }>, assetPath: string, headers: Record<string, string>): Promise<Response> {
  const url = new URL(assetPath, c.req.url);
  const asset = await c.env.ASSETS.fetch(url.toString(), { method: c.req.method, headers: c.req.raw.headers });
  if (asset.status === 404) {
    return errorResponse(new ApiError("not_found", `${assetPath} is not built: run npm run build`));
  }
  const response = new Response(asset.body, asset);
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const widgetRoutes = new Hono<{ Bindings: Env }>();

widgetRoutes.on(["GET", "HEAD"], "/widget.js", (c) => serveAsset(c, "/widget.js", widgetHeaders));
widgetRoutes.on(["GET", "HEAD"], "/", (c) => serveAsset(c, "/index.html", demoPageHeaders));
widgetRoutes.on(["GET", "HEAD"], "/demo.css", (c) => serveAsset(c, "/demo.css", demoStyleHeaders));

/**
 * The attachment kinds the widget may offer: the worker's `ATTACHMENTS`
 * (`image`, `audio`; unset = text only), the same setting `/api/chat` enforces.
 * Set it only when the engine serves a model that takes them (Megrez-3B-Omni).
 */
widgetRoutes.get("/widget/capabilities", (c) => {
  const headers = { "access-control-allow-origin": "*", "cache-control": "public, max-age=60" };
  const config = configFromEnv(c.env);
  if (!config.ok) {
    console.error(JSON.stringify({ level: "error", message: "configuration invalid", issues: config.error.issues }));
    return errorResponse(misconfigured());
  }
  const { kinds, maxBytes } = config.value.attachments;
  const mediaTypes = [...kinds].flatMap((kind) => attachmentMediaTypes[kind]);
  return c.json({ attachments: { image: kinds.has("image"), audio: kinds.has("audio") }, maxAttachmentBytes: maxBytes, mediaTypes }, 200, headers);
});
