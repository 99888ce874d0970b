/**
 * First pass over the parsed page: cut what is never article text (scripts, navigation, forms'
 * controls, hidden elements, ARIA landmarks for chrome) and what only CMS chrome is named like
 * (share bars, comment threads, "related" rails). Mutates the tree in place, iteratively.
 */
import { classAndId, isElement, walk, type AnyNode, type Element } from "./dom";
import { DROP_ROLES, DROP_TAGS, MAYBE_CONTENT, UNLIKELY } from "./patterns";

const HIDDEN_STYLE = /display\s*:\s*none|visibility\s*:\s*hidden/i;

function isHidden(element: Element): boolean {
  const attribs = element.attribs;
  if ("hidden" in attribs) return true;
  if (attribs["aria-hidden"] === "true" && element.name !== "html" && element.name !== "body") return true;
  const style = attribs.style;
  return style !== undefined && HIDDEN_STYLE.test(style);
}

function isUnlikely(element: Element, insideProtected: boolean): boolean {
  if (insideProtected || element.name === "body" || element.name === "html" || element.name === "a" || element.name === "article" || element.name === "main")
    return false;
  const text = classAndId(element);
  if (text === "" || text.length > 500) return false;
  return UNLIKELY.test(text) && !MAYBE_CONTENT.test(text);
}

function shouldDrop(element: Element, insideProtected: boolean): boolean {
  if (DROP_TAGS.has(element.name)) return true;
  const role = element.attribs.role;
  if (role !== undefined && DROP_ROLES.has(role)) return true;
  if (element.name === "header" && !insideProtected) return true;
  return isHidden(element);
}

/**
 * Removes chrome-named subtrees (share bars, comments, sidebars), except ones that hold a large share
 * of the page's text: class names lie ("PageBuilder-pageRow" matches /pager/), article bodies do not.
 */
export function pruneUnlikely(root: AnyNode, keep: (element: Element) => boolean): PruneResult {
  return pruneWhere(root, (element, insideProtected) => isUnlikely(element, insideProtected) && !keep(element));
}

/** Removes never-content subtrees (scripts, navigation, hidden elements) from `root`. */
export function pruneBoilerplate(root: AnyNode): PruneResult {
  return pruneWhere(root, shouldDrop);
}

export interface PruneResult {
  /** Elements still in the tree, in document (pre-)order: the stats pass reuses it instead of walking again. */
  kept: Element[];
  /** Former parents of removed subtrees: their stats (and their ancestors') are stale. */
  touched: Element[];
}

function pruneWhere(root: AnyNode, shouldDrop: (element: Element, insideProtected: boolean) => boolean): PruneResult {
  const doomed: Element[] = [];
  const kept: Element[] = [];
  const touched: Element[] = [];
  const protectedRoots = new Set<AnyNode>();
  walk(root, (node) => {
    if (!isElement(node)) return node.type === "root" || false;
    const parent = node.parent;
    const insideProtected = parent !== null && protectedRoots.has(parent);
    if (shouldDrop(node, insideProtected)) {
      doomed.push(node);
      return false;
    }
    kept.push(node);
    // Tables and code keep their cells whatever the cells are named.
    if (insideProtected || node.name === "table" || node.name === "pre" || node.name === "code") protectedRoots.add(node);
    return true;
  });
  for (const element of doomed) {
    const parent = element.parent;
    if (!parent) continue;
    const index = parent.children.indexOf(element);
    if (index >= 0) parent.children.splice(index, 1);
    element.parent = null;
    if (isElement(parent)) touched.push(parent);
  }
  return { kept, touched };
}
