/**
 * Decides, inside the chosen article container, which sub-blocks are still chrome: link lists,
 * image galleries without prose, share/related widgets, short link-heavy teasers. The test mirrors
 * the "clean conditionally" idea of readability-style extractors, driven by precomputed stats.
 */
import { classAndId, isElement, plainText, walk, type Element } from "./dom";
import { HEADING_TAGS, NEGATIVE, classWeight } from "./patterns";
import type { ScoreTable } from "./candidate";
import { linkDensity, type ElementStats, type StatsTable } from "./stats";

const CONDITIONAL_TAGS = new Set(["div", "section", "ul", "ol", "table", "form", "fieldset", "figure", "dl", "header"]);

/** Calls to action that sit between paragraphs: newsletter sign-ups, "read more" teasers, app plugs. */
const PROMO_PARAGRAPH =
  /^\s*(\(?\s*)?(read more|read also|related|see also|more:|don'?t miss|click here|leia (tamb[ée]m|mais)|veja tamb[ée]m|leggi anche|lesen sie auch|lire aussi|mehr zum thema|相关阅读|延伸阅读)|sign up (for|to)[^.]{0,80}newsletter|subscribe to[^.]{0,60}newsletter|get the latest[^.]{0,60}inbox/i;

function isChromeParagraph(element: Element, elementStats: ElementStats, weight: number, names: string): boolean {
  if (weight < 0 && NEGATIVE.test(names) && elementStats.textLength < 200) return true;
  if (elementStats.textLength >= 300) return false;
  // A short paragraph that is mostly one link is a teaser for another page.
  if (linkDensity(elementStats) > 0.6) return true;
  return PROMO_PARAGRAPH.test(plainText(element));
}

const MONTH = "(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?";
/** Bylines, datelines and reading-time stamps: short lines of article chrome around the text. */
const BYLINE_OR_DATE = new RegExp(
  `^\\s*(posted( on)?\\b|published( on)?\\b|updated( on)?\\b|last (updated|modified)|(mon|tues|wednes|thurs|fri|satur|sun)day,? |${MONTH} \\d{1,2},? \\d{4}|\\d{1,2} ${MONTH},? \\d{4}|\\d{4}-\\d{2}-\\d{2}|\\d{1,2}[./]\\d{1,2}[./]\\d{2,4}|\\d+ min(ute)?s? read|发布时间|發佈時間|来源[:：]|责任编辑|責任編輯|原标题[:：]|作者[:：]|编辑[:：])`,
  "iu",
);

/** True for a short block that is only a byline or a date stamp. */
export function isByline(element: Element, stats: StatsTable): boolean {
  if (element.name !== "p" && element.name !== "div" && element.name !== "span" && element.name !== "address") return false;
  const length = stats.get(element)?.textLength ?? 0;
  if (length === 0 || length > 90) return false;
  const text = plainText(element).trim();
  return (BYLINE_OR_DATE.test(text) || /^(By|BY)\s+\p{Lu}/u.test(text)) && !/[.!?。！？]["”’)]?$/.test(text);
}

/** A table of data (header cells, several rows, no nested tables), as opposed to a layout table. */
function isDataTable(table: Element): boolean {
  let rows = 0;
  let headers = 0;
  let nested = false;
  walk(table, (node) => {
    if (node === table || !isElement(node)) return true;
    if (node.name === "table") nested = true;
    if (node.name === "tr") rows++;
    if (node.name === "th") headers++;
    return !nested;
  });
  return !nested && (headers > 0 || rows >= 3);
}

/** True when `element` (inside the article) should be dropped from the output. */
export function isChrome(element: Element, stats: StatsTable, scores: ScoreTable): boolean {
  const name = element.name;
  if (name === "figcaption") return true;
  const heading = HEADING_TAGS.has(name);
  // Inline and other tags are never dropped on their own; checking them first keeps rendering cheap.
  if (!heading && name !== "p" && name !== "span" && !CONDITIONAL_TAGS.has(name)) return false;
  const elementStats = stats.get(element);
  if (!elementStats) return false;
  if (elementStats.textLength === 0) return elementStats.images === 0 || name !== "figure";
  const names = classAndId(element);
  const weight = classWeight(names);
  if (heading) return weight < 0 || linkDensity(elementStats) > 0.5;
  // Spans sit inside sentences: only a chrome-named one (byline, credit, share) is dropped.
  if (name === "span") return weight < 0;
  if (name === "p") return isChromeParagraph(element, elementStats, weight, names);
  if (name === "table" && weight >= 0 && isDataTable(element)) return false;
  const score = scores.get(element) ?? 0;
  if (weight + score < 0) return true;
  if (elementStats.commas >= 10) return false;
  const density = linkDensity(elementStats);
  const list = name === "ul" || name === "ol" || name === "dl";
  const paragraphs = elementStats.paragraphs;
  if (name === "figure" && paragraphs === 0) return true;
  if (elementStats.images > 1 && paragraphs / elementStats.images < 0.5) return true;
  if (!list && elementStats.listItems - 100 > paragraphs) return true;
  if (elementStats.inputs > Math.floor(paragraphs / 3)) return true;
  if (!list && elementStats.textLength < 25 && (elementStats.images === 0 || elementStats.images > 2)) return true;
  if (!list && weight < 25 && density > 0.2) return true;
  if (list && density > 0.5) return true;
  if (weight >= 25 && density > 0.5) return true;
  if ((elementStats.embeds === 1 && elementStats.textLength < 75) || elementStats.embeds > 1) return true;
  return false;
}

/** Headings that open a "more stories" rail, in the languages the fixtures and users bring. */
const RELATED_HEADING =
  /^(related|read (more|also|next)|more (from|on|stories|news|like this)|you (may|might) (also )?(like|enjoy)|recommended|most (popular|read)|trending|also read|see also|latest (news|stories)|leia (também|mais)|você pode gostar|veja também|not[ií]cias relacionadas|relacionad|art[ií]culos relacionados|te puede interesar|lesen sie auch|mehr zum thema|[àa] lire aussi|sur le m[êe]me sujet|articoli correlati|leggi anche|相关|相關|推荐|推薦|関連|관련|читайте также|похожие)/i;

/** True for a heading that starts a related-content rail: the article ends there. */
export function isArticleEnd(element: Element, stats: StatsTable): boolean {
  if (!HEADING_TAGS.has(element.name)) return false;
  const names = classAndId(element);
  if (/related|recommend|more-stories/i.test(names)) return true;
  const length = stats.get(element)?.textLength ?? 0;
  if (length === 0 || length > 60) return false;
  return RELATED_HEADING.test(plainText(element).trim());
}

/** A heading that repeats the page title (returned separately) is not body text. */
export function repeatsTitle(element: Element, title: string): boolean {
  if (!HEADING_TAGS.has(element.name) || title === "") return false;
  const heading = plainText(element).replace(/\s+/g, " ").trim().toLowerCase();
  return heading.length > 0 && title.toLowerCase().includes(heading);
}
