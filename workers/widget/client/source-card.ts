/**
 * One source card: title, domain and a favicon. The favicon is a monogram
 * drawn from the domain (first letter on a colour hashed from the domain)
 * rather than an image fetched from the source's site, so the widget makes no
 * third-party requests and needs no `img-src` beyond the page's own policy.
 */
import type { Source } from "./conversation";
import { externalLink } from "./markdown";

function hue(domain: string): number {
  let hash = 0;
  for (const character of domain) hash = (hash * 31 + (character.codePointAt(0) ?? 0)) >>> 0;
  return hash % 360;
}

function span(className: string, text: string): HTMLSpanElement {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  return node;
}

export function renderSourceCard(source: Source, label: string): HTMLLIElement {
  const favicon = span("favicon", (source.domain[0] ?? "?").toUpperCase());
  favicon.setAttribute("aria-hidden", "true");
  favicon.style.background = `hsl(${hue(source.domain)} 55% 42%)`;
  const site = span("site", "");
  site.append(favicon, document.createTextNode(`${source.index} · ${source.domain}`));
  const link = externalLink(source.url, [span("title", source.title || source.url), site]);
  link.setAttribute("aria-label", label);
  if (source.snippet) link.title = source.snippet;
  const item = document.createElement("li");
  item.className = "source";
  item.dataset.index = String(source.index);
  item.append(link);
  return item;
}
