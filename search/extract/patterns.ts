/**
 * The vocabulary of boilerplate: tag sets and class/id patterns that mark navigation, ads, share bars
 * and comment threads versus article bodies. Kept in one place so the pruning, scoring and rendering
 * passes agree on what "looks like content". The class/id lists follow the long-standing heuristics
 * of readability-style extractors (facts about how CMS templates name things, not code from them).
 */

/** Never content: removed before anything is scored. */
export const DROP_TAGS = new Set([
  "script",
  "style",
  "noscript",
  "template",
  "svg",
  "canvas",
  "iframe",
  "object",
  "embed",
  "video",
  "audio",
  "button",
  "input",
  "select",
  "textarea",
  "option",
  "nav",
  "aside",
  "footer",
  "dialog",
  "menu",
  "head",
  "link",
  "meta",
  "math",
  "map",
  "picture",
  "source",
]);

export const DROP_ROLES = new Set([
  "navigation",
  "dialog",
  "alertdialog",
  "banner",
  "complementary",
  "contentinfo",
  "menu",
  "menubar",
  "search",
  "tablist",
  "toolbar",
]);

/** Unlikely to hold the article unless the same string also says it is content. */
export const UNLIKELY =
  /-ad-|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|pager|popup|yom-remote|newsletter|subscribe|promo|share|cookie|consent|masthead|toolbar|outbrain|taboola|recommend|trending|most-popular|signup|sign-up|paywall|modal/i;
export const MAYBE_CONTENT = /and|article|body|column|content|main|shadow|story|post|entry|text/i;

export const POSITIVE = /article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story|paragraph|prose/i;
export const NEGATIVE =
  /-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget|byline|author|dateline|caption|credit|newsletter|subscribe|social|recommend|read-more|readmore|signup/i;

/** Block-level tags: a div containing none of these reads like a paragraph. */
export const BLOCK_TAGS = new Set([
  "address",
  "article",
  "blockquote",
  "dd",
  "details",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "li",
  "main",
  "ol",
  "p",
  "pre",
  "section",
  "summary",
  "table",
  "tbody",
  "thead",
  "tfoot",
  "tr",
  "td",
  "th",
  "ul",
  "br",
  "center",
]);

export const HEADING_TAGS = new Set(["h1", "h2", "h3", "h4", "h5", "h6"]);

/** Tags whose text counts as a scored paragraph. */
export const PARAGRAPH_TAGS = new Set(["p", "pre", "td", "blockquote"]);

export function classWeight(classAndIdText: string): number {
  if (classAndIdText === "") return 0;
  let weight = 0;
  if (NEGATIVE.test(classAndIdText)) weight -= 25;
  if (POSITIVE.test(classAndIdText)) weight += 25;
  return weight;
}
