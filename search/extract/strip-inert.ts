/**
 * A linear pre-pass over the HTML before the parser sees it:
 * - cuts what can never be text: comments, `<script>` (except JSON-LD, which metadata reads),
 *   `<style>` and inline `<svg>`. On news pages these are about half the bytes and many of the DOM
 *   nodes, so parsing and every later pass get cheaper. An unclosed script, style or comment runs to
 *   the end of the document, as in HTML; an unclosed svg is left for the parser.
 * - cuts the document where element nesting passes `MAX_DEPTH`: htmlparser2 keeps its open-element
 *   stack in an array it `unshift`s, so each open tag costs the current depth and 100,000 nested
 *   divs take seconds. Real pages nest well under a hundred levels.
 * Scans with indexOf only (no backtracking regex), so hostile input stays linear.
 */

const STRIPPED = ["script", "style", "svg"] as const;
type StrippedTag = (typeof STRIPPED)[number];

export const MAX_DEPTH = 400;

/** Elements that never take a depth level: void ones, and ones the parser closes implicitly. */
const NO_DEPTH = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "param",
  "source",
  "track",
  "wbr",
  "p",
  "li",
  "dt",
  "dd",
  "option",
  "optgroup",
  "tr",
  "td",
  "th",
  "tbody",
  "thead",
  "tfoot",
  "colgroup",
  "rb",
  "rt",
  "rp",
]);

function isNameChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 45;
}

function isDelimiter(code: number): boolean {
  return code === 32 || code === 62 || code === 47 || code === 9 || code === 10 || code === 13 || code === 12 || Number.isNaN(code);
}

/** Case-insensitive match of `word` at `position`. */
function matchesAt(html: string, position: number, word: string): boolean {
  for (let offset = 0; offset < word.length; offset++) {
    if ((html.charCodeAt(position + offset) | 0x20) !== word.charCodeAt(offset)) return false;
  }
  return true;
}

function tagAt(html: string, position: number): StrippedTag | undefined {
  for (const tag of STRIPPED) {
    if (matchesAt(html, position, tag) && isDelimiter(html.charCodeAt(position + tag.length))) return tag;
  }
  return undefined;
}

function findClose(html: string, tag: StrippedTag, from: number): number {
  let position = from;
  for (;;) {
    const candidate = html.indexOf("</", position);
    if (candidate < 0) return -1;
    if (matchesAt(html, candidate + 2, tag) && isDelimiter(html.charCodeAt(candidate + 2 + tag.length))) return candidate;
    position = candidate + 2;
  }
}

/** +1 for an open tag that nests, -1 for a closing one, 0 otherwise; `position` is at "<". */
function depthChange(html: string, position: number): number {
  const closing = html.charCodeAt(position + 1) === 47;
  const nameStart = position + (closing ? 2 : 1);
  let nameEnd = nameStart;
  while (isNameChar(html.charCodeAt(nameEnd))) nameEnd++;
  if (nameEnd === nameStart || nameEnd - nameStart > 20) return 0;
  if (NO_DEPTH.has(html.slice(nameStart, nameEnd).toLowerCase())) return 0;
  if (closing) return -1;
  const end = html.indexOf(">", nameEnd);
  return end > 0 && html.charCodeAt(end - 1) === 47 ? 0 : 1;
}

export function stripInert(html: string): string {
  const kept: string[] = [];
  let copiedUpTo = 0;
  let position = 0;
  let svgUnclosed = false;
  let depth = 0;
  for (;;) {
    position = html.indexOf("<", position);
    if (position < 0) break;
    if (html.startsWith("<!--", position)) {
      const end = html.indexOf("-->", position + 4);
      kept.push(html.slice(copiedUpTo, position));
      copiedUpTo = position = end < 0 ? html.length : end + 3;
      continue;
    }
    const tag = tagAt(html, position + 1);
    if (!tag || (tag === "svg" && svgUnclosed)) {
      depth = Math.max(0, depth + depthChange(html, position));
      if (depth > MAX_DEPTH) {
        kept.push(html.slice(copiedUpTo, position));
        copiedUpTo = html.length;
        break;
      }
      position++;
      continue;
    }
    const openEnd = html.indexOf(">", position);
    if (openEnd < 0) break;
    if (tag === "script" && /ld\+json/i.test(html.slice(position, openEnd))) {
      position = openEnd + 1;
      continue;
    }
    const close = findClose(html, tag, openEnd + 1);
    if (close < 0 && tag === "svg") {
      // No closing tag anywhere after here: stop trying, so many open <svg>s cannot go quadratic.
      svgUnclosed = true;
      position = openEnd + 1;
      continue;
    }
    kept.push(html.slice(copiedUpTo, position));
    if (close < 0) {
      copiedUpTo = html.length;
      break;
    }
    const closeEnd = html.indexOf(">", close);
    copiedUpTo = position = closeEnd < 0 ? html.length : closeEnd + 1;
  }
  kept.push(html.slice(copiedUpTo));
  return kept.join("");
}
