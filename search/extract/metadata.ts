/**
 * Page metadata beside the body text: title, canonical URL, published date and language. Sources are
 * tried from the most deliberate (Open Graph / JSON-LD, written for machines) to the most incidental
 * (`<title>`, the first `<time>`), because CMS templates often leave `<title>` stuffed with site names.
 */
import { z } from "zod";
import { attribute, isElement, plainText, walk, type AnyNode, type Element } from "./dom";

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

/** Meta names that carry a publication date, most specific first. */
const DATE_KEYS = ["article:published_time", "datepublished", "article:published", "pubdate", "publishdate", "date", "dc.date", "dc.date.issued"];

interface HeadSignals {
  meta: Map<string, string>;
  jsonLdScripts: Element[];
  title?: Element;
  h1?: Element;
  canonical?: Element;
  time?: Element;
  html?: Element;
}

/** The <head> element, found without walking the body. */
function headOf(root: AnyNode): { html?: Element; head?: Element } {
  if (!("children" in root)) return {};
  const html = root.children.find((child): child is Element => isElement(child) && child.name === "html");
  const head = (html?.children ?? root.children).find((child): child is Element => isElement(child) && child.name === "head");
  return { ...(html ? { html } : {}), ...(head ? { head } : {}) };
}

/** Collects every element metadata reads from, in one walk of `scope`. */
function collectSignals(scope: AnyNode): HeadSignals {
  const signals: HeadSignals = { meta: new Map(), jsonLdScripts: [] };
  walk(scope, (node) => {
    if (!isElement(node)) return true;
    switch (node.name) {
      case "meta": {
        const attribs = node.attribs;
        const key = (attribs.property ?? attribs.name ?? attribs.itemprop ?? attribs["http-equiv"])?.toLowerCase();
        const content = attribs.content;
        if (key && content && !signals.meta.has(key)) signals.meta.set(key, content.trim());
        return false;
      }
      case "script":
        if (node.attribs.type?.toLowerCase() === "application/ld+json") signals.jsonLdScripts.push(node);
        return false;
      case "style":
        return false;
      case "title":
        signals.title ??= node;
        return false;
      case "h1":
        signals.h1 ??= node;
        return false;
      case "link":
        if (!signals.canonical && (node.attribs.rel ?? "").toLowerCase().split(/\s+/).includes("canonical")) signals.canonical = node;
        return false;
      case "time":
        if (!signals.time && node.attribs.datetime) signals.time = node;
        return true;
      case "html":
        signals.html ??= node;
        return true;
      default:
        return true;
    }
  });
  return signals;
}

function jsonLdObjects(scripts: readonly Element[]): Array<Record<string, unknown>> {
  const objects: Array<Record<string, unknown>> = [];
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

/** Reads metadata from <head> and walks the whole page only when the head lacks a title or date. */
export function extractMetadata(root: AnyNode, url: string): PageMetadata {
  const { html, head } = headOf(root);
  let signals = collectSignals(head ?? root);
  if (head && (!signals.title || !DATE_KEYS.some((key) => signals.meta.has(key)))) signals = collectSignals(root);
  signals.html ??= html;
  const meta = signals.meta;
  const ld = jsonLdObjects(signals.jsonLdScripts)
    .map((object) => jsonLdSchema().safeParse(object))
    .flatMap((result) => (result.success ? [result.data] : []));
  const titleElement = signals.title;
  const h1 = signals.h1;
  const title =
    collapse(meta.get("og:title") ?? ld.find((object) => object.headline)?.headline ?? (titleElement ? plainText(titleElement) : "") ?? "") ||
    collapse(h1 ? plainText(h1) : "");

  const canonicalLink = signals.canonical;
  const canonicalUrl = resolveUrl(canonicalLink ? attribute(canonicalLink, "href") : meta.get("og:url"), url);

  const timeElement = signals.time;
  const metaDate = DATE_KEYS.map((key) => meta.get(key)).find((value) => value !== undefined);
  const publishedAt = normalizeDate(
    meta.get("article:published_time") ??
      ld.find((object) => object.datePublished)?.datePublished ??
      metaDate ??
      (timeElement ? attribute(timeElement, "datetime") : undefined),
  );

  const htmlElement = signals.html;
  const language = normalizeLanguage(
    (htmlElement ? (attribute(htmlElement, "lang") ?? attribute(htmlElement, "xml:lang")) : undefined) ??
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
