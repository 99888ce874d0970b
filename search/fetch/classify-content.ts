/**
 * Looks at what a server actually sent, since Content-Type headers lie: PDF and binary payloads are
 * recognised by magic bytes, HTML by its opening markup, bot challenges by the headers and page
 * shapes of the common bot-management vendors, and paywall stubs by a subscription marker on a page
 * with little readable text.
 */

export type ContentKind = "html" | "text" | "pdf" | "binary";

const TEXTUAL_TYPES = /^(text\/html|application\/xhtml\+xml|text\/plain|text\/markdown|text\/x-markdown|application\/xml|text\/xml)$/;

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return signature.every((byte, index) => bytes[index] === byte);
}

function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 1024);
  if (
    startsWith(sample, [0x89, 0x50, 0x4e, 0x47]) ||
    startsWith(sample, [0xff, 0xd8, 0xff]) ||
    startsWith(sample, [0x47, 0x49, 0x46, 0x38]) ||
    startsWith(sample, [0x50, 0x4b, 0x03, 0x04]) ||
    startsWith(sample, [0x1f, 0x8b])
  )
    return true;
  let controls = 0;
  for (const byte of sample) if (byte < 8) controls++;
  return controls > 0 && !(sample[0] === 0xfe || sample[0] === 0xff);
}

function looksHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 1024)).trimStart().toLowerCase();
  return head.startsWith("<!doctype html") || head.startsWith("<html") || head.startsWith("<head") || /<(html|head|body|title|meta)[\s>]/.test(head);
}

/** The media type without parameters, lower-cased ("" when absent). */
export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Classifies a body from its declared type and its first bytes; undefined means "not a page we read". */
export function classifyContent(declared: string, bytes: Uint8Array): ContentKind | undefined {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return "pdf";
  if (declared === "application/pdf") return "pdf";
  if (looksBinary(bytes)) return "binary";
  if (declared === "text/html" || declared === "application/xhtml+xml") return "html";
  if (TEXTUAL_TYPES.test(declared)) return looksHtml(bytes) ? "html" : "text";
  if (declared === "" || declared === "application/octet-stream" || declared === "binary/octet-stream") return looksHtml(bytes) ? "html" : undefined;
  return undefined;
}

/** Whether a declared type is worth downloading at all (before reading the body). */
export function mayBeReadable(declared: string): boolean {
  return (
    declared === "" ||
    TEXTUAL_TYPES.test(declared) ||
    declared === "application/octet-stream" ||
    declared === "binary/octet-stream" ||
    declared === "application/pdf"
  );
}

const CHALLENGE_MARKERS = [
  "<title>just a moment...</title>",
  "<title>just a moment…</title>",
  "<title>attention required! | cloudflare</title>",
  "cf-browser-verification",
  "_cf_chl_opt",
  "challenge-platform",
  "captcha-delivery.com",
  "px-captcha",
  "/_incapsula_resource",
  "checking your browser before accessing",
  "please enable js and disable any ad blocker",
  "verify you are human",
];

/** An interstitial says a line or two; a page with more readable text than this is an article (maybe one about challenges). */
const CHALLENGE_MAX_TEXT_CHARS = 2_000;

/** The page's readable text length: markup, scripts and styles left out. */
function readableTextLength(html: string): number {
  return html
    .replace(/<(script|style|noscript)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim().length;
}

/**
 * Bot-management interstitials (Cloudflare, DataDome, PerimeterX, Imperva ...). A marker on an error status is a
 * challenge; on a 200 only when the page has almost no text of its own, so a page that documents the markers
 * (this project's own docs/search.md does) is still read.
 */
export function isBotChallenge(headers: Headers, status: number, html: string): boolean {
  const mitigated = headers.get("cf-mitigated");
  if (mitigated?.toLowerCase().includes("challenge")) return true;
  if (headers.has("x-datadome") && status === 403) return true;
  const head = html.slice(0, 20_000).toLowerCase();
  const challenge = CHALLENGE_MARKERS.some((marker) => head.includes(marker));
  if (!challenge) return false;
  if (status === 403 || status === 503 || status === 429) return true;
  return html.length < 60_000 && readableTextLength(html) < CHALLENGE_MAX_TEXT_CHARS;
}

const PAYWALL_MARKERS =
  /"isaccessibleforfree"\s*:\s*"?false|class="[^"]*\b(paywall|subscriber-only|premium-content|meteredcontent|tp-modal)\b|subscribe (now )?to (continue|read)|to continue reading,? (please )?(subscribe|log ?in|sign in)|this (article|content) is (only )?(available|reserved) (to|for) subscribers|already a subscriber\?/i;

/** Readable characters outside scripts/styles/tags: a rough size of what a reader would see. */
function visibleTextLength(html: string): number {
  const withoutCode = html.replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1>/gi, " ");
  return withoutCode
    .replace(/<[^>]*>/g, " ")
    .replace(/&[a-z#0-9]+;/gi, " ")
    .replace(/\s+/g, "").length;
}

/** A subscription wall with only a teaser behind it (full text hidden for SEO still counts as content). */
export function isPaywallStub(html: string): boolean {
  if (!PAYWALL_MARKERS.test(html)) return false;
  return visibleTextLength(html) < 1500;
}
