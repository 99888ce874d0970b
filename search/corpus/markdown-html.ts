/**
 * A small Markdown → HTML renderer for the local corpus (our own docs): ATX headings, paragraphs,
 * fenced code, bullet and numbered lists, block quotes, pipe tables, inline code, emphasis and
 * links. Everything is escaped first, so a document can never inject markup into the served page.
 */

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function inline(text: string): string {
  const codeSpans: string[] = [];
  let html = escapeHtml(text).replace(/`([^`]+)`/g, (_match, code: string) => {
    codeSpans.push(`<code>${code}</code>`);
    return `\u0000${codeSpans.length - 1}\u0000`;
  });
  html = html
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_match, label: string, href: string) =>
      /^(https?:|\/|#|\.)/.test(href) || !href.includes(":") ? `<a href="${href}">${label}</a>` : label,
    )
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>");
  return html.replace(/\u0000(\d+)\u0000/g, (_match, index: string) => codeSpans[Number(index)] ?? "");
}

function tableRow(line: string, cell: "td" | "th"): string {
  const cells = line
    .trim()
    .replace(/^\||\|$/g, "")
    .split("|")
    .map((value) => `<${cell}>${inline(value.trim())}</${cell}>`);
  return `<tr>${cells.join("")}</tr>`;
}

export function markdownToHtml(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? "";
    const fence = /^(```|~~~)/.exec(line);
    if (fence) {
      const code: string[] = [];
      index++;
      while (index < lines.length && !(lines[index] ?? "").startsWith(fence[1] ?? "```")) code.push(lines[index++] ?? "");
      index++;
      out.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*$/.exec(line);
    if (heading) {
      const level = heading[1]?.length ?? 1;
      out.push(`<h${level}>${inline(heading[2] ?? "")}</h${level}>`);
      index++;
      continue;
    }
    if (/^\s*\|/.test(line) && /^\s*\|?\s*:?-{3,}/.test(lines[index + 1] ?? "")) {
      const rows = [tableRow(line, "th")];
      index += 2;
      while (index < lines.length && /^\s*\|/.test(lines[index] ?? "")) rows.push(tableRow(lines[index++] ?? "", "td"));
      out.push(`<table>${rows.join("")}</table>`);
      continue;
    }
    const listMatch = /^\s*([-*+]|\d+[.)])\s+/.exec(line);
    if (listMatch) {
      const ordered = /\d/.test(listMatch[1] ?? "");
      const items: string[] = [];
      while (index < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[index] ?? "")) {
        let item = (lines[index++] ?? "").replace(/^\s*([-*+]|\d+[.)])\s+/, "");
        while (index < lines.length && /^\s{2,}\S/.test(lines[index] ?? "") && !/^\s*([-*+]|\d+[.)])\s+/.test(lines[index] ?? ""))
          item += ` ${(lines[index++] ?? "").trim()}`;
        items.push(`<li>${inline(item)}</li>`);
      }
      out.push(ordered ? `<ol>${items.join("")}</ol>` : `<ul>${items.join("")}</ul>`);
      continue;
    }
    if (/^>\s?/.test(line)) {
      const quoted: string[] = [];
      while (index < lines.length && /^>\s?/.test(lines[index] ?? "")) quoted.push((lines[index++] ?? "").replace(/^>\s?/, ""));
      out.push(`<blockquote>${markdownToHtml(quoted.join("\n"))}</blockquote>`);
      continue;
    }
    if (line.trim() === "" || /^(-{3,}|\*{3,})$/.test(line.trim())) {
      index++;
      continue;
    }
    const paragraph: string[] = [];
    while (index < lines.length && (lines[index] ?? "").trim() !== "" && !/^(#{1,6}\s|```|~~~|>|\s*([-*+]|\d+[.)])\s+|\s*\|)/.test(lines[index] ?? ""))
      paragraph.push(lines[index++] ?? "");
    if (paragraph.length === 0) {
      out.push(`<p>${inline(line)}</p>`);
      index++;
      continue;
    }
    out.push(`<p>${inline(paragraph.join(" "))}</p>`);
  }
  return out.join("\n");
}

/** A complete, self-contained page for one corpus document. */
export function renderCorpusPage(options: { title: string; bodyHtml: string; language?: string }): string {
  const language = options.language ?? "en";
  return `<!doctype html>
<html lang="${escapeHtml(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
</head>
<body>
<main>
<article>
${options.bodyHtml}
</article>
</main>
</body>
</html>
`;
}

export { escapeHtml };
