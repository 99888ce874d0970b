/**
 * Page metadata beside the body text: title, canonical URL, published date and language. Sources are
 * tried from the most deliberate (Open Graph / JSON-LD, written for machines) to the most incidental
 * (`<title>`, the first `<time>`), because CMS templates often leave `<title>` stuffed with site names.
 */
import { z } from "zod";
import { attribute, findAll, findFirst, plainText, type AnyNode } from "./dom.js";

export interface PageMetadata {
  title: string;
  canonicalUrl?: string;
  publishedAt?: string;
  language?: string;
}

let jsonLdSchemaCache: z.ZodType<{ datePublished?: string | undefined; headline?: string | undefined; inLanguage?: string | undefined }> | undefined;
/** Minimal JSON-LD fields we read; built lazily to keep worker cold start cheap. */
function jsonLdSchema() {
  jsonLdSchemaCache ??= z.object({
    datePublished: z.string().optional().catch(undefined),
    headline: z.string().optional().catch(undefined),
    inLanguage: z.string().optional().catch(undefined),
  });
  return jsonLdSchemaCache;
}

function collectMeta(root: AnyNode): Map<string, string> {
  const meta = new Map<string, string>();
  for (const element of findAll(root, (candidate) => candidate.name === "meta")) {
    const key = (attribute(element, "property") ?? attribute(element, "name") ?? attribute(element, "itemprop") ?? attribute(element, "http-equiv"))?.toLowerCase();
    const content = attribute(element, "content");
    if (key && content && !meta.has(key)) meta.set(key, content.trim());
  }
  return meta;
}

function jsonLdObjects(root: AnyNode): Array<Record<string, unknown>> {
  const objects: Array<Record<string, unknown>> = [];
  const scripts = findAll(root, (element) => element.name === "script" && attribute(element, "type")?.toLowerCase() === "application/ld+json");
  for (const script of scripts) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(plainText(script));
    } catch {
      continue;
    }
    const pending: unknown[] = [parsed];
    while (pending.length > 0 && objects.length < 50) {
      const value = pending.pop();
      if (Array.isArray(value)) pending.push(...value);
      else if (value !== null && typeof value === "object") {
        const record: Record<string, unknown> = Object.fromEntries(Object.entries(value));
        objects.push(record);
        if (record["@graph"]) pending.push(record["@graph"]);
      }
    }
  }
  return objects;
}

function resolveUrl(href: string | undefined, base: string): string | undefined {
  if (!href) return undefined;
  try {
    const resolved = new URL(href.trim(), base);
    return resolved.protocol === "http:" || resolved.protocol === "https:" ? resolved.href : undefined;
  } catch {
    return undefined;
  }
}

function normalizeDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const time = Date.parse(trimmed);
  if (Number.isNaN(time)) return /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? trimmed.slice(0, 10) : undefined;
  return new Date(time).toISOString();
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export function extractMetadata(root: AnyNode, url: string): PageMetadata {
  const meta = collectMeta(root);
  const ld = jsonLdObjects(root)
    .map((object) => jsonLdSchema().safeParse(object))
    .flatMap((result) => (result.success ? [result.data] : []));
  const titleElement = findFirst(root, (element) => element.name === "title");
  const h1 = findFirst(root, (element) => element.name === "h1");
  const title = collapse(
    meta.get("og:title") ?? ld.find((object) => object.headline)?.headline ?? (titleElement ? plainText(titleElement) : "") ?? "",
  ) || collapse(h1 ? plainText(h1) : "");

  const canonicalLink = findFirst(root, (element) => element.name === "link" && (attribute(element, "rel") ?? "").toLowerCase().split(/\s+/).includes("canonical"));
  const canonicalUrl = resolveUrl(canonicalLink ? attribute(canonicalLink, "href") : meta.get("og:url"), url);

  const timeElement = findFirst(root, (element) => element.name === "time" && Boolean(attribute(element, "datetime")));
  const publishedAt = normalizeDate(
    meta.get("article:published_time") ??
      ld.find((object) => object.datePublished)?.datePublished ??
      meta.get("datepublished") ??
      meta.get("article:published") ??
      meta.get("pubdate") ??
      meta.get("publishdate") ??
      meta.get("date") ??
      meta.get("dc.date") ??
      meta.get("dc.date.issued") ??
      (timeElement ? attribute(timeElement, "datetime") : undefined),
  );

  const htmlElement = findFirst(root, (element) => element.name === "html");
  const language = normalizeLanguage(
    (htmlElement ? attribute(htmlElement, "lang") ?? attribute(htmlElement, "xml:lang") : undefined) ??
      meta.get("content-language") ??
      meta.get("inlanguage") ??
      ld.find((object) => object.inLanguage)?.inLanguage ??
      meta.get("og:locale"),
  );
  return {
    title,
    ...(canonicalUrl ? { canonicalUrl } : {}),
    ...(publishedAt ? { publishedAt } : {}),
    ...(language ? { language } : {}),
  };
}

function normalizeLanguage(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const first = value.split(",")[0]?.trim().replace(/_/g, "-");
  return first && /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(first) ? first : undefined;
}

/** Guess a language from the text when the markup declares none: CJK scripts are unambiguous enough. */
export function guessLanguage(text: string): string | undefined {
  const sample = text.slice(0, 2000);
  const han = sample.match(/\p{Script=Han}/gu)?.length ?? 0;
  const kana = sample.match(/[\p{Script=Hiragana}\p{Script=Katakana}]/gu)?.length ?? 0;
  const hangul = sample.match(/\p{Script=Hangul}/gu)?.length ?? 0;
  const letters = sample.match(/\p{L}/gu)?.length ?? 0;
  if (letters === 0) return undefined;
  if (kana > letters * 0.05) return "ja";
  if (hangul > letters * 0.3) return "ko";
  if (han > letters * 0.3) return "zh";
  return undefined;
}

