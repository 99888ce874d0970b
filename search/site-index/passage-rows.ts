/**
 * An extracted page as rows of the site index: the existing passage splitter's passages in reading
 * order, each with the headings it sits under (the Markdown-style `#` lines extraction keeps) and
 * its search terms per field. Terms come from `tokenizeTerms` (words plus CJK bigrams, the same as
 * the local index and passage ranking), stored space-separated so the full-text engine's plain
 * word tokenizer indexes exactly these terms: Chinese text becomes matchable bigrams.
 */
import { splitIntoPassages } from "../passages";
import { tokenizeTerms } from "../text-terms";
import type { ExtractedPage } from "../types";

export interface PassageRow {
  /** 0-based position in the page. */
  position: number;
  /** The heading trail the passage's text starts under, outermost first, joined with " › ". */
  headings: string;
  text: string;
  /** Space-separated search terms of the page title, the headings and the passage text. */
  titleTerms: string;
  headingTerms: string;
  bodyTerms: string;
}

/** Passage size of the index (estimated tokens): a citable paragraph or two. */
export const INDEX_PASSAGE_TOKENS = 160;
/** Most passages kept per page; a longer page keeps its first ones. */
export const MAX_PASSAGES_PER_PAGE = 400;

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;

/** Terms as the index stores them (and as a query is matched). */
export function termsOf(text: string): string {
  return tokenizeTerms(text).join(" ");
}

export function passageRows(page: Pick<ExtractedPage, "title" | "text">): PassageRow[] {
  const passages = splitIntoPassages(page.text, INDEX_PASSAGE_TOKENS).slice(0, MAX_PASSAGES_PER_PAGE);
  const titleTerms = termsOf(page.title);
  const trail: string[] = [];
  return passages.map((passage, position) => {
    const inside: string[] = [];
    let display: string[] | undefined;
    for (const line of passage.text.split("\n")) {
      if (line.trim() === "") continue;
      const match = HEADING.exec(line);
      if (!match) {
        // The trail the passage's first text sits under is the one it shows.
        display ??= trail.filter((heading) => heading !== undefined && heading !== "");
        continue;
      }
      const level = (match[1] ?? "#").length;
      const heading = (match[2] ?? "").replace(/[`*_]/g, "");
      trail.length = level - 1;
      trail[level - 1] = heading;
      inside.push(heading);
    }
    const shown = (display ?? trail.filter((heading) => heading !== undefined && heading !== "")).join(" › ");
    // Every heading the passage holds counts for matching, besides the trail it opens under.
    const matched = [...new Set([shown, ...inside])].join(" ");
    return { position, headings: shown, text: passage.text, titleTerms, headingTerms: termsOf(matched), bodyTerms: termsOf(passage.text) };
  });
}
