/**
 * Builds the local search corpus ahead of time:
 *   npm run build:index -- [--corpus docs] [--out dist/assets/corpus]
 * Reads every .md/.markdown/.html/.htm/.txt file under the corpus folder, writes `<out>/index.json`
 * (a minisearch index, see search/corpus/corpus-index.ts) and one fetchable page per document,
 * `<out>/<slug>.html` (Markdown rendered to simple HTML with a proper <title>), and
 * `<out>/index.html`, a contents page linking every document (the demo site's crawl starts there;
 * the slug `index` is reserved for it). The worker serves dist/assets statically, so a page is
 * reachable at `<origin>/corpus/<slug>.html`.
 */
import { mkdir, readFile, readdir, rm, stat } from "node:fs/promises";
import { basename, extname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { decodeHtmlBytes } from "../search/charset";
import { extractPage } from "../search/extract";
import { buildCorpusIndex, type CorpusDocument } from "../search/corpus/corpus-index";
import { escapeHtml, markdownToHtml, renderCorpusPage } from "../search/corpus/markdown-html";
import { writeFileAtomic } from "./atomic-write";

const EXTENSIONS = new Set([".md", ".markdown", ".html", ".htm", ".txt"]);

export interface BuildIndexOptions {
  corpus: string;
  out: string;
  now?: () => Date;
}

export interface BuildIndexReport {
  documents: number;
  indexBytes: number;
  milliseconds: number;
  slugs: string[];
}

async function listFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [folder];
  while (pending.length > 0) {
    const current = pending.pop();
    if (current === undefined) break;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile() && EXTENSIONS.has(extname(entry.name).toLowerCase())) found.push(path);
    }
  }
  return found.sort();
}

function slugFor(relativePath: string, taken: Set<string>): string {
  const stem = relativePath.slice(0, relativePath.length - extname(relativePath).length);
  const base =
    stem
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "document";
  let slug = base;
  for (let suffix = 2; taken.has(slug); suffix++) slug = `${base}-${suffix}`;
  taken.add(slug);
  return slug;
}

interface RenderedDocument {
  document: CorpusDocument;
  html: string;
}

function renderDocument(path: string, relativePath: string, bytes: Uint8Array, slug: string, updatedAt: string): RenderedDocument {
  const extension = extname(path).toLowerCase();
  const fallbackTitle = basename(path, extname(path)).replace(/[-_]+/g, " ");
  if (extension === ".html" || extension === ".htm") {
    const html = decodeHtmlBytes(bytes, undefined).text;
    const page = extractPage(html, pathToFileURL(path).href);
    return { document: { slug, title: page.title || fallbackTitle, text: page.text, source: relativePath, updatedAt }, html };
  }
  const text = new TextDecoder("utf-8").decode(bytes);
  if (extension === ".txt") {
    const title =
      text
        .split("\n")
        .find((line) => line.trim() !== "")
        ?.trim()
        .slice(0, 120) ?? fallbackTitle;
    const bodyHtml = text
      .split(/\n{2,}/)
      .filter((block) => block.trim() !== "")
      .map((block) => `<p>${escapeHtml(block.trim())}</p>`)
      .join("\n");
    return { document: { slug, title, text, source: relativePath, updatedAt }, html: renderCorpusPage({ title, bodyHtml }) };
  }
  const heading = /^#\s+(.+?)\s*#*$/m.exec(text)?.[1];
  const title = heading?.replace(/[`*_]/g, "") ?? fallbackTitle;
  return { document: { slug, title, text, source: relativePath, updatedAt }, html: renderCorpusPage({ title, bodyHtml: markdownToHtml(text) }) };
}

/** The corpus's contents page: one link per document, relative, so it works on any origin. */
function contentsPage(documents: readonly CorpusDocument[]): string {
  const items = documents.map((document) => `<li><a href="${encodeURIComponent(document.slug)}.html">${escapeHtml(document.title)}</a></li>`).join("\n");
  // noindex: crawlers follow its links but do not index a list of titles as a page of its own.
  return renderCorpusPage({ title: "Contents", bodyHtml: `<h1>Contents</h1>\n<ul>\n${items}\n</ul>` }).replace(
    "<head>\n",
    '<head>\n<meta name="robots" content="noindex, follow">\n',
  );
}

export async function buildIndex(options: BuildIndexOptions): Promise<BuildIndexReport> {
  const started = performance.now();
  const corpus = resolve(options.corpus);
  const out = resolve(options.out);
  const files = await listFiles(corpus);
  const taken = new Set<string>(["index"]);
  const rendered: RenderedDocument[] = [];
  for (const path of files) {
    const relativePath = relative(corpus, path);
    const info = await stat(path);
    rendered.push(renderDocument(path, relativePath, new Uint8Array(await readFile(path)), slugFor(relativePath, taken), info.mtime.toISOString()));
  }
  const index = JSON.stringify(
    buildCorpusIndex(
      rendered.map((item) => item.document),
      (options.now?.() ?? new Date()).toISOString(),
    ),
  );
  await mkdir(out, { recursive: true });
  // Pages first, then the index that names them, each replaced whole: a build stopped half-way leaves
  // the old corpus or a consistent mix, never a truncated file. Pages no longer in the corpus go last.
  await Promise.all(rendered.map((item) => writeFileAtomic(join(out, `${item.document.slug}.html`), item.html)));
  await writeFileAtomic(join(out, "index.json"), index);
  await writeFileAtomic(join(out, "index.html"), contentsPage(rendered.map((item) => item.document)));
  const current = new Set(["index.html", ...rendered.map((item) => `${item.document.slug}.html`)]);
  for (const entry of await readdir(out))
    if ((entry.endsWith(".html") && !current.has(entry)) || entry.endsWith(".tmp")) await rm(join(out, entry), { force: true });
  return {
    documents: rendered.length,
    indexBytes: Buffer.byteLength(index),
    milliseconds: performance.now() - started,
    slugs: rendered.map((item) => item.document.slug),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { corpus: { type: "string", default: "docs" }, out: { type: "string", default: "dist/assets/corpus" } } });
  const corpus = values.corpus ?? "docs";
  const out = values.out ?? "dist/assets/corpus";
  const report = await buildIndex({ corpus, out });
  console.log(
    `indexed ${report.documents} documents from ${corpus} into ${out}/index.json (${(report.indexBytes / 1024).toFixed(1)} KiB) in ${report.milliseconds.toFixed(0)} ms`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    console.error(`build-index: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
