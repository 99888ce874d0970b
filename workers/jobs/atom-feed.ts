/**
 * The Atom feed (RFC 4287) of a job: one entry per stored digest, newest
 * first. Entry content is the digest rendered to a small, fully escaped HTML
 * subset (paragraphs, headings, lists, links), so feed readers show the
 * numbered citations as links to the pages they came from.
 */
import type { StoredJob } from "./registry";
import type { Run } from "./run-store";

export const ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8";

export function renderAtomFeed(job: StoredJob, runs: Run[], baseUrl: string): string {
  const feedUrl = `${baseUrl}/api/jobs/${job.id}/feed.xml?token=${job.feedToken}`;
  const updated = runs[0]?.finishedAt ?? job.updatedAt;
  const entries = runs.map((run) => renderEntry(job, run, baseUrl)).join("");
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n` +
    `<feed xmlns="http://www.w3.org/2005/Atom">\n` +
    `  <id>urn:megrez-edge:job:${job.id}</id>\n` +
    `  <title>${xml(job.spec.name)}</title>\n` +
    `  <subtitle>${xml(job.spec.topic ?? (job.spec.queries ?? []).join("; "))}</subtitle>\n` +
    `  <updated>${new Date(updated).toISOString()}</updated>\n` +
    `  <author><name>megrez-edge</name></author>\n` +
    `  <generator>megrez-edge</generator>\n` +
    `  <link rel="self" type="application/atom+xml" href="${xml(feedUrl)}"/>\n` +
    entries +
    `</feed>\n`
  );
}

function renderEntry(job: StoredJob, run: Run, baseUrl: string): string {
  const digest = run.digest;
  if (!digest) return "";
  const link = `${baseUrl}/api/jobs/${job.id}/runs/${run.id}/digest.md?token=${job.feedToken}`;
  const related = digest.sources.map((s) => `    <link rel="related" href="${xml(s.url)}" title="${xml(`[${s.index}] ${s.title}`)}"/>\n`).join("");
  return (
    `  <entry>\n` +
    `    <id>urn:megrez-edge:job:${job.id}:run:${run.id}</id>\n` +
    `    <title>${xml(digest.title)}</title>\n` +
    `    <published>${new Date(run.slot).toISOString()}</published>\n` +
    `    <updated>${new Date(run.finishedAt ?? run.slot).toISOString()}</updated>\n` +
    `    <link rel="alternate" type="text/markdown" href="${xml(link)}"/>\n` +
    related +
    `    <content type="html">${xml(digestHtml(digest.body, digest.sources))}</content>\n` +
    `  </entry>\n`
  );
}

/** A digest body as HTML for the feed. Only the Markdown our digest writer (agent/digest.ts) produces: paragraphs, `#` headings, `-`/`*`/`1.` lists, **bold**, [n] citations. */
export function digestHtml(markdown: string, sources: { index: number; url: string }[]): string {
  const urls = new Map(sources.map((s) => [s.index, s.url]));
  const inline = (text: string) =>
    html(text)
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/\[(\d{1,4})\]/g, (m, n: string) => {
        const url = urls.get(Number(n));
        return url ? `<a href="${html(url)}">[${n}]</a>` : m;
      });
  const out: string[] = [];
  let list: "ul" | "ol" | null = null;
  const closeList = () => {
    if (list) out.push(`</${list}>`);
    list = null;
  };
  for (const block of markdown.split(/\n{2,}/)) {
    for (const line of block.split("\n")) {
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
      const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
      if (heading) {
        closeList();
        const level = Math.min(heading[1]!.length + 1, 6);
        out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
      } else if (bullet || numbered) {
        const kind = bullet ? "ul" : "ol";
        if (list !== kind) {
          closeList();
          out.push(`<${kind}>`);
          list = kind;
        }
        out.push(`<li>${inline((bullet ?? numbered)![1]!)}</li>`);
      } else if (line.trim() !== "") {
        closeList();
        out.push(`<p>${inline(line)}</p>`);
      }
    }
    closeList();
  }
  return out.join("\n");
}

function html(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** XML text and attribute escaping; also drops characters XML 1.0 forbids. */
function xml(text: string): string {
  return html(text)
    .replace(/'/g, "&apos;")
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "");
}
