/**
 * Passage selection: split an extracted page into passages (paragraph-sized, headings kept with
 * the text they introduce), rank them against the question with BM25 (minisearch), and pack the best
 * into a token budget, instead of the reference's "first 2048 tokens of the page". Passages that
 * match nothing keep a small lead bias, so a page that is relevant as a whole still yields its lead.
 *
 * @example
 * const passages = await selectPassages(page, "when was the budget agreed?", { budgetTokens: 1024 });
 * const context = joinPassages(passages);
 */
import MiniSearch from "minisearch";
import type { ExtractedPage, Passage, TokenCounter } from "./types";
import { estimateTokens } from "./token-estimate";
import { tokenizeTerms } from "./text-terms";

export interface SelectPassagesOptions {
  /** Token budget for all selected passages together (default 2048, the reference's per-page cut). */
  budgetTokens?: number;
  /** The engine's tokenizer when reachable; otherwise a conservative estimate is used. */
  countTokens?: TokenCounter;
  /** Target passage size in estimated tokens (default 160). */
  passageTokens?: number;
}

const SENTENCE_END = /(?<=[.!?。！？；;])\s*/u;

/** Splits text into blocks, attaching headings to the block after them. */
function blocksOf(text: string): string[] {
  const raw = text
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0);
  const blocks: string[] = [];
  let heading = "";
  for (const block of raw) {
    if (/^#{1,6} /.test(block) && block.length < 200) {
      heading = heading ? `${heading}\n${block}` : block;
      continue;
    }
    blocks.push(heading ? `${heading}\n\n${block}` : block);
    heading = "";
  }
  if (heading) blocks.push(heading);
  return blocks;
}

/** Splits an over-long block at sentence ends into pieces near `target` estimated tokens. */
function splitLong(block: string, target: number): string[] {
  if (estimateTokens(block) <= target * 1.5) return [block];
  const sentences = block.split(SENTENCE_END).filter((sentence) => sentence.length > 0);
  const pieces: string[] = [];
  let current = "";
  for (const sentence of sentences) {
    const candidate = current ? `${current} ${sentence}` : sentence;
    if (current && estimateTokens(candidate) > target) {
      pieces.push(current);
      current = sentence;
    } else current = candidate;
  }
  if (current) pieces.push(current);
  // A single sentence longer than the budget is cut by characters as a last resort.
  return pieces.flatMap((piece) => (estimateTokens(piece) > target * 3 ? hardCut(piece, target) : [piece]));
}

function hardCut(text: string, target: number): string[] {
  const pieces: string[] = [];
  const step = Math.max(1, Math.floor((text.length * target) / Math.max(1, estimateTokens(text))));
  for (let start = 0; start < text.length; start += step) pieces.push(text.slice(start, start + step));
  return pieces;
}

/** Merges tiny neighbours so a passage carries enough context to be cited on its own. */
function mergeSmall(pieces: string[], target: number): string[] {
  const merged: string[] = [];
  for (const piece of pieces) {
    const last = merged[merged.length - 1];
    if (last !== undefined && estimateTokens(last) + estimateTokens(piece) <= target / 2) merged[merged.length - 1] = `${last}\n\n${piece}`;
    else merged.push(piece);
  }
  return merged;
}

/** The page cut into passages in reading order (scores are 0 until ranked). */
export function splitIntoPassages(text: string, passageTokens = 160): Passage[] {
  const pieces = mergeSmall(
    blocksOf(text).flatMap((block) => splitLong(block, passageTokens)),
    passageTokens,
  );
  return pieces.map((piece, index) => ({ text: piece, score: 0, index }));
}

function rank(passages: Passage[], question: string): Passage[] {
  const index = new MiniSearch<{ id: number; text: string }>({ fields: ["text"], tokenize: tokenizeTerms, processTerm: (term) => term });
  index.addAll(passages.map((passage) => ({ id: passage.index, text: passage.text })));
  const scores = new Map<number, number>();
  for (const hit of index.search(question, { combineWith: "OR", prefix: (term) => term.length > 3, fuzzy: (term) => (term.length > 5 ? 0.15 : false) })) {
    if (typeof hit.id === "number") scores.set(hit.id, hit.score);
  }
  const count = passages.length;
  return passages.map((passage) => ({ ...passage, score: (scores.get(passage.index) ?? 0) + 0.01 * (1 - passage.index / Math.max(1, count)) }));
}

export async function selectPassages(page: ExtractedPage, question: string, options: SelectPassagesOptions = {}): Promise<Passage[]> {
  const budget = options.budgetTokens ?? 2048;
  const passages = splitIntoPassages(page.text, options.passageTokens ?? 160);
  if (passages.length === 0 || budget <= 0) return [];
  const ranked = rank(passages, question).sort((a, b) => b.score - a.score || a.index - b.index);
  const count = options.countTokens ?? estimateTokens;
  const costs = await Promise.all(ranked.map(async (passage) => count(passage.text)));
  const chosen: Passage[] = [];
  let used = 0;
  ranked.forEach((passage, position) => {
    const cost = (costs[position] ?? estimateTokens(passage.text)) + 2;
    if (used + cost > budget) return;
    chosen.push(passage);
    used += cost;
  });
  return chosen;
}

/** Joins selected passages in reading order; gaps between non-adjacent passages are marked "…". */
export function joinPassages(passages: readonly Passage[]): string {
  const ordered = [...passages].sort((a, b) => a.index - b.index);
  const parts: string[] = [];
  ordered.forEach((passage, position) => {
    const previous = ordered[position - 1];
    if (previous && passage.index !== previous.index + 1) parts.push("…");
    parts.push(passage.text);
  });
  return parts.join("\n\n");
}
