/**
 * Finds the element that holds the article: every paragraph-like block votes for its ancestors
 * (length and commas earn points, closer ancestors get more), link-heavy candidates are discounted,
 * and the winner is widened when several strong candidates share an ancestor. Then the winner's
 * siblings that read like more of the same article are gathered with it.
 */
import { classAndId, isElement, isText, walk, type AnyNode, type Element } from "./dom";
import { BLOCK_TAGS, PARAGRAPH_TAGS, classWeight } from "./patterns";
import { linkDensity, type StatsTable } from "./stats";

export type ScoreTable = Map<Element, number>;

const TAG_BASE: Record<string, number> = {
  div: 5,
  article: 8,
  main: 5,
  section: 3,
  pre: 3,
  td: 3,
  blockquote: 3,
  address: -3,
  ol: -3,
  ul: -3,
  dl: -3,
  dd: -3,
  dt: -3,
  li: -3,
  form: -3,
  h1: -5,
  h2: -5,
  h3: -5,
  h4: -5,
  h5: -5,
  h6: -5,
  th: -5,
};

/** Block containers whose loose text can be a paragraph in its own right (inline tags vote via their parent). */
const LOOSE_TEXT_CONTAINERS = new Set(["div", "section", "article", "main", "td", "center", "font", "blockquote", "dd"]);

function hasBlockChild(element: Element): boolean {
  for (const child of element.children) if (isElement(child) && BLOCK_TAGS.has(child.name)) return true;
  return false;
}

function isParagraphLike(element: Element): boolean {
  if (PARAGRAPH_TAGS.has(element.name)) return true;
  if (element.name !== "div" && element.name !== "section" && element.name !== "span" && element.name !== "font") return false;
  if (hasBlockChild(element)) return false;
  return element.children.some((child) => isText(child) && child.data.trim().length > 0);
}

function ancestors(element: Element, maxDepth: number): Element[] {
  const found: Element[] = [];
  let current = element.parent;
  while (current && isElement(current) && found.length < maxDepth) {
    found.push(current);
    current = current.parent;
  }
  return found;
}

export interface ContentChoice {
  /** The winning container. */
  top: Element;
  /** The winner plus gathered siblings, in document order. */
  blocks: Element[];
  scores: ScoreTable;
}

function vote(scores: ScoreTable, voters: Element[], points: number): void {
  voters.forEach((ancestor, level) => {
    if (!scores.has(ancestor)) scores.set(ancestor, (TAG_BASE[ancestor.name] ?? 0) + classWeight(classAndId(ancestor)));
    const divider = level === 0 ? 1 : level === 1 ? 2 : level * 3;
    scores.set(ancestor, (scores.get(ancestor) ?? 0) + points / divider);
  });
}

export function scoreCandidates(root: AnyNode, stats: StatsTable): ScoreTable {
  const scores: ScoreTable = new Map();
  walk(root, (node) => {
    if (!isElement(node)) return true;
    const nodeStats = stats.get(node);
    if (!nodeStats) return true;
    if (isParagraphLike(node)) {
      if (nodeStats.textLength < 25) return true;
      vote(scores, ancestors(node, 5), 1 + nodeStats.commas + Math.min(Math.floor(nodeStats.textLength / 100), 3));
      return node.name !== "pre" && node.name !== "p";
    }
    // Loose text between block children (text + <br> layouts) is a paragraph of this element itself.
    if (nodeStats.inlineLength >= 25 && LOOSE_TEXT_CONTAINERS.has(node.name)) {
      const runs = Math.max(1, Math.floor(nodeStats.breaks / 2));
      vote(scores, [node, ...ancestors(node, 4)], 1 + nodeStats.inlineCommas + Math.min(Math.floor(nodeStats.inlineLength / 100), 3 * runs));
    }
    return true;
  });
  for (const [element, score] of scores) scores.set(element, score * (1 - linkDensity(stats.get(element))));
  return scores;
}

function bestCandidate(scores: ScoreTable): Element | undefined {
  let best: Element | undefined;
  let bestScore = -Infinity;
  for (const [element, score] of scores) {
    if (element.name === "html" || element.name === "body") continue;
    if (score > bestScore) {
      best = element;
      bestScore = score;
    }
  }
  return best;
}

/** Several near-equal candidates under one ancestor mean the article is split across them. */
function widenToSharedAncestor(top: Element, scores: ScoreTable): Element {
  const topScore = scores.get(top) ?? 0;
  const rivals = [...scores].filter(([element, score]) => element !== top && score >= topScore * 0.75).map(([element]) => element);
  if (rivals.length < 2) return top;
  let ancestor = top.parent;
  while (ancestor && isElement(ancestor) && ancestor.name !== "body") {
    const container = ancestor;
    const contained = rivals.filter((rival) => contains(container, rival)).length;
    if (contained >= 2) return container;
    ancestor = ancestor.parent;
  }
  return top;
}

function contains(ancestor: Element, node: Element): boolean {
  let current = node.parent;
  while (current) {
    if (current === ancestor) return true;
    current = current.parent;
  }
  return false;
}

/** Walks up while the parent is a mere wrapper or scores better than the child. */
function climb(top: Element, scores: ScoreTable, stats: StatsTable): Element {
  let current = top;
  let lastScore = scores.get(current) ?? 0;
  const threshold = lastScore / 3;
  let parent = current.parent;
  while (parent && isElement(parent) && parent.name !== "body" && parent.name !== "html") {
    const elementChildren = parent.children.filter(isElement);
    const parentStats = stats.get(parent);
    const currentStats = stats.get(current);
    if (elementChildren.length === 1 || (parentStats && currentStats && parentStats.textLength === currentStats.textLength)) {
      current = parent;
      parent = current.parent;
      continue;
    }
    const parentScore = scores.get(parent);
    if (parentScore === undefined) {
      parent = parent.parent;
      continue;
    }
    if (parentScore < threshold) break;
    if (parentScore > lastScore) {
      current = parent;
      lastScore = parentScore;
    }
    parent = parent.parent;
  }
  return current;
}

function gatherSiblings(top: Element, scores: ScoreTable, stats: StatsTable): Element[] {
  const parent = top.parent;
  if (!parent || !isElement(parent)) return [top];
  const topScore = scores.get(top) ?? 0;
  const threshold = Math.max(10, topScore * 0.2);
  const topClass = top.attribs.class ?? "";
  const blocks: Element[] = [];
  for (const sibling of parent.children) {
    if (!isElement(sibling)) continue;
    if (sibling === top) {
      blocks.push(sibling);
      continue;
    }
    let bonus = 0;
    if (topClass !== "" && sibling.attribs.class === topClass) bonus += topScore * 0.2;
    const score = scores.get(sibling);
    if (score !== undefined && score + bonus >= threshold) {
      blocks.push(sibling);
      continue;
    }
    if (sibling.name === "p") {
      const siblingStats = stats.get(sibling);
      if (!siblingStats) continue;
      const density = linkDensity(siblingStats);
      if (siblingStats.textLength > 80 && density < 0.25) blocks.push(sibling);
    }
  }
  return blocks;
}

export function chooseContent(root: AnyNode, body: Element, stats: StatsTable): ContentChoice {
  const scores = scoreCandidates(root, stats);
  const best = bestCandidate(scores);
  if (!best) return { top: body, blocks: [body], scores };
  const top = climb(widenToSharedAncestor(best, scores), scores, stats);
  return { top, blocks: gatherSiblings(top, scores, stats), scores };
}
