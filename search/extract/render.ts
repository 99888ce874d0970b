/**
 * Renders the chosen article blocks as Markdown-ish text: headings as `#`, list items as `- ` / `1. `,
 * tables as `| a | b |` rows, code as fenced blocks, quotes as `> `. Whitespace is collapsed the way a
 * browser lays text out. Very deep subtrees (hostile markup) fall back to flat text instead of recursing.
 */
import { isElement, isText, plainText, type AnyNode, type Element } from "./dom";
import { BLOCK_TAGS } from "./patterns";

const MAX_DEPTH = 120;

export interface RenderOptions {
  /** Return true to leave an element (and its subtree) out. */
  skip: (element: Element) => boolean;
  /** Return true where the article ends: the element and everything after it are left out. */
  stop: (element: Element) => boolean;
}

interface Output {
  parts: string[];
  stopped: boolean;
}

const PRE_NEWLINE = "\u0000";

function renderChildren(node: AnyNode, output: Output, options: RenderOptions, depth: number): void {
  if (!("children" in node)) return;
  for (const child of node.children) {
    if (output.stopped) return;
    renderNode(child, output, options, depth + 1);
  }
}

function block(output: Output): void {
  output.parts.push("\n\n");
}

function renderInlineTo(element: Element, options: RenderOptions, depth: number): string {
  const inner: Output = { parts: [], stopped: false };
  renderChildren(element, inner, options, depth);
  return inner.parts.join("").replace(/\s+/g, " ").trim();
}

function renderTable(table: Element, output: Output, options: RenderOptions, depth: number): void {
  const rows: Element[] = [];
  const pending: AnyNode[] = [...table.children].reverse();
  while (pending.length > 0) {
    const node = pending.pop();
    if (!node || !isElement(node) || options.skip(node)) continue;
    if (node.name === "tr") rows.push(node);
    else if (node.name === "thead" || node.name === "tbody" || node.name === "tfoot")
      for (let index = node.children.length - 1; index >= 0; index--) {
        const child = node.children[index];
        if (child) pending.push(child);
      }
  }
  const cells = rows.map((row) => row.children.filter((cell): cell is Element => isElement(cell) && (cell.name === "td" || cell.name === "th")));
  const layout = cells.some((row) => row.some((cell) => hasNested(cell)));
  block(output);
  if (layout) {
    for (const row of cells)
      for (const cell of row) {
        renderChildren(cell, output, options, depth);
        block(output);
      }
    return;
  }
  cells.forEach((row, index) => {
    const texts = row.map((cell) => renderInlineTo(cell, options, depth).replace(/\|/g, "\\|"));
    if (texts.every((text) => text === "")) return;
    output.parts.push(`| ${texts.join(" | ")} |\n`);
    if (index === 0 && row.some((cell) => cell.name === "th")) output.parts.push(`|${texts.map(() => " --- ").join("|")}|\n`);
  });
  block(output);
}

function hasNested(cell: Element): boolean {
  for (const child of cell.children) {
    if (isElement(child) && (child.name === "table" || child.name === "p" || child.name === "div" || child.name === "ul")) return true;
  }
  return false;
}

function renderList(list: Element, output: Output, options: RenderOptions, depth: number): void {
  block(output);
  let counter = Number.parseInt(list.attribs.start ?? "1", 10);
  if (!Number.isFinite(counter)) counter = 1;
  for (const item of list.children) {
    if (!isElement(item)) continue;
    if (options.skip(item)) continue;
    if (item.name !== "li") {
      renderNode(item, output, options, depth + 1);
      continue;
    }
    const marker = list.name === "ol" ? `${counter++}. ` : "- ";
    output.parts.push(`\n${marker}`);
    renderChildren(item, output, options, depth + 1);
  }
  block(output);
}

function renderNode(node: AnyNode, output: Output, options: RenderOptions, depth: number): void {
  if (isText(node)) {
    output.parts.push(node.data);
    return;
  }
  if (!isElement(node)) return;
  if (depth > MAX_DEPTH) {
    output.parts.push(" ", plainText(node), " ");
    return;
  }
  if (options.stop(node)) {
    output.stopped = true;
    return;
  }
  if (options.skip(node)) return;
  const name = node.name;
  switch (name) {
    case "br":
      output.parts.push("\n");
      return;
    case "hr":
      block(output);
      return;
    case "img":
      return;
    case "pre": {
      const code = plainText(node)
        .replace(/\r?\n/g, PRE_NEWLINE)
        .replace(/^\u0000+|\u0000+$/g, "");
      block(output);
      output.parts.push("```", PRE_NEWLINE, code, PRE_NEWLINE, "```");
      block(output);
      return;
    }
    case "code": {
      const text = plainText(node);
      output.parts.push(text.includes("\n") ? text : `\`${text}\``);
      return;
    }
    case "ul":
    case "ol":
      renderList(node, output, options, depth);
      return;
    case "table":
      renderTable(node, output, options, depth);
      return;
    case "blockquote": {
      const inner: Output = { parts: [], stopped: false };
      renderChildren(node, inner, options, depth);
      const text = normalize(inner.parts.join(""));
      if (text === "") return;
      block(output);
      output.parts.push(
        text
          .split("\n")
          .map((line) => (line === "" ? ">" : `> ${line}`))
          .join("\n"),
      );
      block(output);
      return;
    }
    default:
      break;
  }
  if (/^h[1-6]$/.test(name)) {
    const text = renderInlineTo(node, options, depth);
    if (text === "") return;
    block(output);
    output.parts.push(`${"#".repeat(Number(name[1]))} ${text}`);
    block(output);
    return;
  }
  const isBlock = BLOCK_TAGS.has(name) || name === "article" || name === "main";
  if (isBlock) block(output);
  renderChildren(node, output, options, depth);
  if (isBlock) block(output);
}

/** Collapses inline whitespace, keeps paragraph breaks, restores code-block newlines. */
function normalize(raw: string): string {
  return raw
    .replace(/[ \t\f\r\u00a0]+/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/\u0000/g, "\n")
    .trim();
}

export function renderBlocks(blocks: Element[], options: RenderOptions): string {
  const output: Output = { parts: [], stopped: false };
  for (const element of blocks) {
    if (output.stopped) break;
    renderNode(element, output, options, 0);
    block(output);
  }
  return normalize(output.parts.join(""));
}
