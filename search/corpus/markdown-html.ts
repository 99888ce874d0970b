/**
 * Markdown → HTML for the local corpus (our own docs), with markdown-it (CommonMark plus GFM
 * tables and strikethrough). Raw HTML in a document is escaped, never passed through, and
 * links are limited to http(s), relative and fragment URLs, so a document cannot inject markup
 * or script links into the served page.
 */
import MarkdownIt from "markdown-it";

const SAFE_LINK = /^(?:https?:|mailto:|\/|#|\.|[^:]*$)/i;

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
markdown.validateLink = (url: string) => SAFE_LINK.test(url.trim());

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function markdownToHtml(source: string): string {
  return markdown.render(source);
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
