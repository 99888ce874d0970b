/**
 * What a crawler needs from a page besides its text: the links it may follow (`<a>`/`<area>` hrefs
 * resolved against `<base href>`, fragments dropped, `rel="nofollow"` skipped) and the page's own
 * robots directives (`<meta name="robots">` or one addressed to our token: `noindex`, `nofollow`,
 * `none`), plus its declared canonical URL. Comments and scripts are cut first (strip-inert), so
 * links inside them are never followed.
 */
import { load } from "cheerio/slim";
import { attribute, isElement, walk } from "../extract/dom";
import { stripInert } from "../extract/strip-inert";

export interface PageLinks {
  /** Absolute http(s) URLs without fragments, in document order, de-duplicated. */
  links: string[];
  noindex: boolean;
  nofollow: boolean;
  canonical?: string;
}

/** Links read from one page, at most; a page with more is a link farm, not documentation. */
export const MAX_LINKS_PER_PAGE = 2_000;

function absolute(href: string, base: URL): URL | undefined {
  const trimmed = href.trim();
  if (trimmed === "" || trimmed.startsWith("#") || /^(javascript|mailto|tel|data):/i.test(trimmed)) return undefined;
  try {
    const url = new URL(trimmed, base);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    url.hash = "";
    return url;
  } catch {
    return undefined;
  }
}

export function discoverLinks(html: string, pageUrl: string, robotsToken = "megrezedgebot"): PageLinks {
  const $ = load(stripInert(html));
  let base: URL;
  try {
    base = new URL(pageUrl);
  } catch {
    return { links: [], noindex: false, nofollow: false };
  }
  const token = robotsToken.toLowerCase();
  const links: string[] = [];
  const seen = new Set<string>();
  let noindex = false;
  let nofollow = false;
  let canonical: string | undefined;
  let baseSeen = false;
  const root = $.root()[0];
  if (!root) return { links, noindex, nofollow };
  walk(root, (node) => {
    if (!isElement(node)) return true;
    const name = node.name.toLowerCase();
    if (name === "base" && !baseSeen) {
      baseSeen = true;
      const href = attribute(node, "href");
      const resolved = href === undefined ? undefined : absolute(href, base);
      if (resolved) base = resolved;
    } else if (name === "meta") {
      const metaName = (attribute(node, "name") ?? "").toLowerCase();
      if (metaName === "robots" || metaName === token) {
        const directives = (attribute(node, "content") ?? "").toLowerCase();
        if (/\b(noindex|none)\b/.test(directives)) noindex = true;
        if (/\b(nofollow|none)\b/.test(directives)) nofollow = true;
      }
    } else if (name === "link" && canonical === undefined && /\bcanonical\b/i.test(attribute(node, "rel") ?? "")) {
      canonical = absolute(attribute(node, "href") ?? "", base)?.href;
    } else if ((name === "a" || name === "area") && links.length < MAX_LINKS_PER_PAGE) {
      const href = attribute(node, "href");
      if (href !== undefined && !/\bnofollow\b/i.test(attribute(node, "rel") ?? "")) {
        const url = absolute(href, base)?.href;
        if (url && !seen.has(url)) {
          seen.add(url);
          links.push(url);
        }
      }
    }
    return true;
  });
  return { links: nofollow ? [] : links, noindex, nofollow, ...(canonical ? { canonical } : {}) };
}
