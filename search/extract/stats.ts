/**
 * Bottom-up text statistics for every element (text length, link text, commas, child counts), computed
 * once in a single post-order sweep so scoring and cleaning never re-read a subtree.
 */
import { isElement, isText, type AnyNode, type Element } from "./dom";
import { BLOCK_TAGS } from "./patterns";

export interface ElementStats {
  /** Non-whitespace-collapsed text length (runs of whitespace count as one). */
  textLength: number;
  linkLength: number;
  commas: number;
  paragraphs: number;
  images: number;
  listItems: number;
  inputs: number;
  embeds: number;
  headingLength: number;
  /** Text directly inside (text nodes and inline children), excluding block children. */
  inlineLength: number;
  inlineCommas: number;
  breaks: number;
}

export type StatsTable = Map<Element, ElementStats>;

function emptyStats(): ElementStats {
  return {
    textLength: 0,
    linkLength: 0,
    commas: 0,
    paragraphs: 0,
    images: 0,
    listItems: 0,
    inputs: 0,
    embeds: 0,
    headingLength: 0,
    inlineLength: 0,
    inlineCommas: 0,
    breaks: 0,
  };
}

function measureText(data: string): { length: number; commas: number } {
  let length = 0;
  let commas = 0;
  let previousSpace = true;
  for (let index = 0; index < data.length; index++) {
    const code = data.charCodeAt(index);
    const space = code === 32 || code === 10 || code === 9 || code === 13 || code === 160 || code === 12;
    if (space) {
      if (!previousSpace) length++;
    } else {
      length++;
      if (code === 44 || code === 0xff0c || code === 0x3001) commas++;
    }
    previousSpace = space;
  }
  return { length, commas };
}

/**
 * Stats for `order` (elements in document pre-order, so children come after parents). With `only`,
 * just those elements are recomputed in an existing table: the ancestors of removed subtrees.
 */
export function computeStats(order: readonly Element[], table: StatsTable = new Map(), only?: ReadonlySet<Element>): StatsTable {
  for (let position = order.length - 1; position >= 0; position--) {
    const element = order[position];
    if (!element || (only && !only.has(element))) continue;
    const stats = emptyStats();
    for (const child of element.children) {
      if (isText(child)) {
        const measured = measureText(child.data);
        stats.textLength += measured.length;
        stats.commas += measured.commas;
        stats.inlineLength += measured.length;
        stats.inlineCommas += measured.commas;
      } else if (isElement(child)) {
        const childStats = table.get(child);
        if (!childStats) continue;
        stats.textLength += childStats.textLength;
        if (child.name === "br") stats.breaks++;
        else if (!BLOCK_TAGS.has(child.name)) {
          stats.inlineLength += childStats.textLength;
          stats.inlineCommas += childStats.commas;
        }
        stats.linkLength += child.name === "a" ? childStats.textLength : childStats.linkLength;
        stats.commas += childStats.commas;
        stats.paragraphs += childStats.paragraphs + (child.name === "p" ? 1 : 0);
        stats.images += childStats.images + (child.name === "img" ? 1 : 0);
        stats.listItems += childStats.listItems + (child.name === "li" ? 1 : 0);
        stats.inputs += childStats.inputs + (child.name === "input" ? 1 : 0);
        stats.embeds += childStats.embeds + (child.name === "embed" || child.name === "object" || child.name === "iframe" ? 1 : 0);
        stats.headingLength += /^h[1-6]$/.test(child.name) ? childStats.textLength : childStats.headingLength;
      }
    }
    table.set(element, stats);
  }
  return table;
}

/** The touched elements and all their ancestors: what must be recomputed after a prune. */
export function staleAncestors(touched: readonly Element[]): Set<Element> {
  const stale = new Set<Element>();
  for (const element of touched) {
    let current: Element | null = element;
    while (current && !stale.has(current)) {
      stale.add(current);
      const parent: AnyNode | null = current.parent;
      current = parent && isElement(parent) ? parent : null;
    }
  }
  return stale;
}

export function linkDensity(stats: ElementStats | undefined): number {
  if (!stats || stats.textLength === 0) return 0;
  return stats.linkLength / stats.textLength;
}
