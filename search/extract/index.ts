/**
 * Article extraction: HTML in, the page's main text out, as Markdown-ish text that keeps headings,
 * lists, tables and code, plus title, canonical URL, published date and language.
 *
 * Pipeline: parse with cheerio/slim (htmlparser2: several times faster than parse5 and tolerant of
 * any input) → prune boilerplate → one bottom-up stats sweep → paragraph-vote scoring picks the
 * container → render it, dropping link-heavy or chrome-named sub-blocks. Every pass is iterative or
 * depth-capped, so hostile markup cannot overflow the stack. Never throws for any string input.
 *
 * @example
 * const page = extractPage(html, "https://example.com/post");
 * console.log(page.title, page.text);
 */
import { load } from "cheerio/slim";
import { stripInert } from "./strip-inert";
import type { ExtractedPage } from "../types";
import { Element, findFirst, type AnyNode } from "./dom";
import { extractMetadata, guessLanguage } from "./metadata";
import { pruneBoilerplate, pruneUnlikely } from "./prune";
import { computeStats, staleAncestors } from "./stats";
import { chooseContent } from "./candidate";
import { isArticleEnd, isByline, isChrome, repeatsTitle } from "./clean";
import { renderBlocks } from "./render";

/** Pages beyond this many characters are cut before parsing: the fetcher caps bytes too. */
const MAX_HTML_CHARS = 5_000_000;

/** A chrome-named element holding more than this share of the page's text is kept anyway. */
const UNLIKELY_KEEP_SHARE = 0.4;

function parse(html: string): AnyNode {
  const document = load(stripInert(html.length > MAX_HTML_CHARS ? html.slice(0, MAX_HTML_CHARS) : html), { xml: false });
  const root = document.root()[0];
  if (!root) throw new Error("cheerio returned no root");
  return root;
}

/** The body element; markup fragments without one get a detached wrapper over the root's children. */
function bodyOf(root: AnyNode): Element {
  const body = findFirst(root, (element) => element.name === "body") ?? findFirst(root, (element) => element.name === "html");
  if (body) return body;
  return new Element("body", {}, "children" in root ? [...root.children] : []);
}

function extractBody(root: AnyNode, title: string): string {
  const { kept } = pruneBoilerplate(root);
  const body = bodyOf(root);
  const stats = computeStats(kept);
  const pageLength = stats.get(body)?.textLength ?? 0;
  const { touched } = pruneUnlikely(root, (element) => (stats.get(element)?.textLength ?? 0) > pageLength * UNLIKELY_KEEP_SHARE);
  if (touched.length > 0) computeStats(kept, stats, staleAncestors(touched));
  const choice = chooseContent(root, body, stats);
  const text = renderBlocks(choice.blocks, {
    skip: (element) => repeatsTitle(element, title) || isChrome(element, stats, choice.scores) || isByline(element, stats),
    stop: (element) => isArticleEnd(element, stats),
  });
  if (text.length > 0 || choice.top === body) return text;
  return renderBlocks([body], { skip: () => false, stop: () => false });
}

export function extractPage(html: string, url: string): ExtractedPage {
  let root: AnyNode;
  try {
    root = parse(html);
  } catch {
    return { url, title: "", text: "" };
  }
  const metadata = extractMetadata(root, url);
  const text = extractBody(root, metadata.title);
  const language = metadata.language ?? guessLanguage(text);
  return {
    url,
    title: metadata.title,
    text,
    ...(metadata.canonicalUrl ? { canonicalUrl: metadata.canonicalUrl } : {}),
    ...(metadata.publishedAt ? { publishedAt: metadata.publishedAt } : {}),
    ...(language ? { language } : {}),
  };
}
