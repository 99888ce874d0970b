/**
 * A linear pre-pass that cuts what can never be text before the HTML parser sees it: comments,
 * `<script>` (except JSON-LD, which metadata reads), `<style>` and inline `<svg>`. On news pages
 * these are about half the bytes and many of the DOM nodes, so parsing and every later pass get
 * cheaper. It follows the HTML rule that an unclosed script, style or comment runs to the end of
 * the document; an unclosed svg is left for the parser. Scans with indexOf only (no backtracking
 * regex), so hostile input stays linear.
 */

const STRIPPED = ["script", "style", "svg"] as const;
type StrippedTag = (typeof STRIPPED)[number];

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

export function stripInert(html: string): string {
  const kept: string[] = [];
  let copiedUpTo = 0;
  let position = 0;
  let svgUnclosed = false;
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
