/**
 * Small, allocation-light helpers over the htmlparser2/domhandler tree that cheerio/slim builds.
 * Extraction walks the tree by hand instead of through CSS selectors: selectors cost more than the
 * parse itself on big news pages, and hand walks let every pass be iterative (no recursion limit on
 * hostile, deeply nested markup).
 */
import { Element, Text, type AnyNode, type ChildNode, type ParentNode } from "domhandler";

export type { AnyNode, ChildNode, ParentNode };
export { Element, Text };

export function isElement(node: AnyNode): node is Element {
  return node instanceof Element;
}

export function isText(node: AnyNode): node is Text {
  return node instanceof Text;
}

export function attribute(element: Element, name: string): string | undefined {
  return element.attribs[name];
}

/** `class` and `id` joined, the string boilerplate patterns are matched against. */
export function classAndId(element: Element): string {
  const className = element.attribs.class;
  const id = element.attribs.id;
  if (className && id) return `${className} ${id}`;
  return className ?? id ?? "";
}

/** Pre-order walk with an explicit stack; `visit` returning false skips the subtree. */
// biome-ignore lint/suspicious/noConfusingVoidType: a visitor that returns nothing walks on, as in any tree walker.
export function walk(root: AnyNode, visit: (node: AnyNode) => boolean | void): void {
  const stack: AnyNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node) break;
    if (visit(node) === false) continue;
    if ("children" in node) {
      const children = node.children;
      for (let index = children.length - 1; index >= 0; index--) {
        const child = children[index];
        if (child) stack.push(child);
      }
    }
  }
}

/** Plain text of a subtree, iteratively (used where depth could be unbounded). */
export function plainText(root: AnyNode): string {
  const parts: string[] = [];
  walk(root, (node) => {
    if (isText(node)) parts.push(node.data);
  });
  return parts.join("");
}

export function findFirst(root: AnyNode, predicate: (element: Element) => boolean): Element | undefined {
  let found: Element | undefined;
  walk(root, (node) => {
    if (found) return false;
    if (isElement(node) && predicate(node)) {
      found = node;
      return false;
    }
    return true;
  });
  return found;
}
