/**
 * A safe Markdown subset rendered straight to DOM nodes: paragraphs, headings,
 * bullet and numbered lists, block quotes, fenced code, `code`, **bold**,
 * *italic*, http(s) links and citation markers `[n]`. Text only ever becomes
 * Text nodes (never innerHTML), so model output cannot inject markup or
 * script; link targets are limited to http and https.
 */

/** Builds the chip for citation `[index]`, or returns undefined to keep the text. */
export type CitationRenderer = (index: number) => Node | undefined;

const inlinePattern =
  /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\s][^*\n]*\*|_[^_\s][^_\n]*_)|\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)|\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]/g;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, children: Node[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.append(...children);
  return node;
}

/** The URL as an http(s) link target, or undefined for any other scheme or text that is no URL. */
export function safeHref(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A link that opens in a new tab. Only an http(s) target becomes its `href`: a source URL from the
 * stream or the stored history is checked here too, so `javascript:` or `data:` never becomes a link.
 */
export function externalLink(href: string, children: Node[]): HTMLAnchorElement {
  const link = element("a", children);
  const safe = safeHref(href);
  if (safe !== undefined) link.href = safe;
  link.target = "_blank";
  link.rel = "noopener noreferrer nofollow";
  return link;
}

/** Inline spans of one block of text. */
export function renderInline(text: string, cite: CitationRenderer): Node[] {
  const nodes: Node[] = [];
  let last = 0;
  for (const match of text.matchAll(inlinePattern)) {
    const at = match.index ?? 0;
    if (at > last) nodes.push(document.createTextNode(text.slice(last, at)));
    last = at + match[0].length;
    const [whole, code, bold, italic, linkText, linkUrl, citations] = match;
    if (code) nodes.push(element("code", [document.createTextNode(code.slice(1, -1))]));
    else if (bold) nodes.push(element("strong", renderInline(bold.slice(2, -2), cite)));
    else if (italic) nodes.push(element("em", renderInline(italic.slice(1, -1), cite)));
    else if (linkText && linkUrl) {
      const href = safeHref(linkUrl);
      const citation = /^\d{1,3}$/.test(linkText) ? cite(Number(linkText)) : undefined;
      if (citation) nodes.push(citation);
      else nodes.push(href ? externalLink(href, renderInline(linkText, cite)) : document.createTextNode(whole));
    } else if (citations) {
      const chips = citations.split(",").map((part) => cite(Number(part.trim())));
      if (chips.every((chip) => chip !== undefined)) nodes.push(...chips.filter((chip): chip is Node => chip !== undefined));
      else nodes.push(document.createTextNode(whole));
    }
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

type ListKind = "ul" | "ol";

function listItem(line: string): { kind: ListKind; text: string } | undefined {
  const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
  if (bullet) return { kind: "ul", text: bullet[1] ?? "" };
  const numbered = /^\s*\d{1,3}[.)]\s+(.*)$/.exec(line);
  return numbered ? { kind: "ol", text: numbered[1] ?? "" } : undefined;
}

/** Renders `text` (possibly still streaming) as block elements. */
export function renderMarkdown(text: string, cite: CitationRenderer): DocumentFragment {
  const fragment = document.createDocumentFragment();
  const lines = text.split("\n");
  let paragraph: string[] = [];
  let list: HTMLOListElement | HTMLUListElement | undefined;
  let listKind: ListKind | undefined;

  const flushParagraph = () => {
    if (paragraph.length === 0) return;
    const block = element("p");
    paragraph.forEach((line, position) => {
      if (position > 0) block.append(element("br"));
      block.append(...renderInline(line, cite));
    });
    fragment.append(block);
    paragraph = [];
  };
  const closeList = () => {
    list = undefined;
    listKind = undefined;
  };

  for (let position = 0; position < lines.length; position++) {
    const line = lines[position] ?? "";
    if (line.startsWith("```")) {
      flushParagraph();
      closeList();
      const code: string[] = [];
      while (++position < lines.length && !(lines[position] ?? "").startsWith("```")) code.push(lines[position] ?? "");
      fragment.append(element("pre", [element("code", [document.createTextNode(code.join("\n"))])]));
      continue;
    }
    const item = listItem(line);
    if (item) {
      flushParagraph();
      if (!list || listKind !== item.kind) {
        list = element(item.kind);
        listKind = item.kind;
        fragment.append(list);
      }
      list.append(element("li", renderInline(item.text, cite)));
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    const quote = /^>\s?(.*)$/.exec(line);
    if (heading || quote || line.trim() === "") {
      flushParagraph();
      closeList();
    }
    if (heading) fragment.append(element("p", [element("strong", renderInline(heading[1] ?? "", cite))]));
    else if (quote) fragment.append(element("blockquote", renderInline(quote[1] ?? "", cite)));
    else if (line.trim() !== "") {
      closeList();
      paragraph.push(line);
    }
  }
  flushParagraph();
  return fragment;
}
