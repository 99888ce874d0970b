/**
 * The local search index: a minisearch (BM25+) index over a folder of documents, built ahead of
 * time and shipped as `index.json` next to one HTML page per document. This module holds the pure
 * parts (build from in-memory documents, serialize, validate and load); the Node script
 * `scripts/build-index.ts` does the file I/O. Tokenization is shared with passage ranking so
 * Chinese documents and queries match by character bigrams.
 */
import MiniSearch from "minisearch";
import { z } from "zod";
import { tokenizeTerms } from "../text-terms";

export const CORPUS_INDEX_VERSION = 1;

export interface CorpusDocument {
  /** File name stem made URL-safe; the page is served as `<slug>.html`. */
  slug: string;
  title: string;
  /** Plain text used for indexing and excerpts. */
  text: string;
  /** Source path relative to the corpus folder, for provenance. */
  source: string;
  updatedAt?: string;
}

interface IndexedFields {
  id: number;
  slug: string;
  title: string;
  text: string;
  excerpt: string;
  updatedAt: string;
}

const FIELDS = ["title", "text"];
const STORE_FIELDS = ["slug", "title", "excerpt", "updatedAt"];

function indexOptions() {
  return { fields: FIELDS, storeFields: STORE_FIELDS, tokenize: tokenizeTerms, processTerm: (term: string) => term };
}

/**
 * First ~300 characters of prose, skipping Markdown headings, fences and tables. Markup is
 * removed where it is markup (backticks, block-quote and list markers, emphasis at word edges),
 * never inside words: `API_KEYS` and `[A-Za-z0-9._-]` stay as written.
 */
export function excerptOf(text: string): string {
  const prose = text
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0 && !/^(#|```|~~~|\|)/.test(block))
    .map((block) => block.replace(/^\s*(?:>\s?|[-*+]\s+|\d+[.)]\s+)/gm, ""))
    .join(" ")
    .replace(/`/g, "")
    .replace(/(^|[\s(])(?:\*\*|__|\*|_)(?=\S)/g, "$1")
    .replace(/(?<=\S)(?:\*\*|__|\*|_)(?=$|[\s).,;:!?])/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return prose.length > 300 ? `${prose.slice(0, 297).replace(/\s+\S*$/, "")}…` : prose;
}

export function buildCorpusIndex(documents: readonly CorpusDocument[], builtAt: string): unknown {
  const search = new MiniSearch<IndexedFields>(indexOptions());
  search.addAll(
    documents.map((document, id) => ({
      id,
      slug: document.slug,
      title: document.title,
      text: document.text,
      excerpt: excerptOf(document.text),
      updatedAt: document.updatedAt ?? "",
    })),
  );
  return {
    version: CORPUS_INDEX_VERSION,
    builtAt,
    documentCount: documents.length,
    sources: documents.map((document) => document.source),
    index: search.toJSON(),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The posting lists are most of the file; plain for-in loops check their shape many times faster
 * than a nested zod schema, which matters because a worker isolate pays this on its first query.
 */
function isIndexEntries(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string") return false;
    const fields: unknown = entry[1];
    if (!isPlainObject(fields)) return false;
    for (const field in fields) {
      const postings = fields[field];
      if (!isPlainObject(postings)) return false;
      for (const document in postings) if (typeof postings[document] !== "number") return false;
    }
  }
  return true;
}

let schemaCache: ReturnType<typeof buildSchema> | undefined;
function buildSchema() {
  const storedDocument = z.object({ slug: z.string(), title: z.string(), excerpt: z.string(), updatedAt: z.string().optional() });
  return z.object({
    version: z.literal(CORPUS_INDEX_VERSION),
    builtAt: z.string(),
    documentCount: z.number().int().nonnegative(),
    sources: z.array(z.string()),
    index: z.object({
      documentCount: z.number(),
      nextId: z.number(),
      documentIds: z.record(z.string(), z.number()),
      fieldIds: z.record(z.string(), z.number()),
      fieldLength: z.record(z.string(), z.array(z.number())),
      averageFieldLength: z.array(z.number()),
      storedFields: z.record(z.string(), storedDocument),
      dirtCount: z.number().optional(),
      index: z.custom<Array<[string, Record<string, Record<string, number>>]>>(isIndexEntries, "minisearch index entries"),
      serializationVersion: z.number(),
    }),
  });
}
const corpusIndexSchema = () => (schemaCache ??= buildSchema());

export interface CorpusHit {
  slug: string;
  title: string;
  excerpt: string;
  updatedAt?: string;
  score: number;
}

export interface LoadedCorpusIndex {
  builtAt: string;
  documentCount: number;
  search(query: string, limit: number): CorpusHit[];
}

export type CorpusIndexLoad = { ok: true; index: LoadedCorpusIndex } | { ok: false; error: string };

/** Validates a parsed `index.json` and makes it searchable. */
export function loadCorpusIndex(data: unknown): CorpusIndexLoad {
  const parsed = corpusIndexSchema().safeParse(data);
  if (!parsed.success)
    return { ok: false, error: `index.json is not a version-${CORPUS_INDEX_VERSION} corpus index: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  const stored = parsed.data.index.storedFields;
  const byId = new Map(
    Object.entries(parsed.data.index.documentIds).flatMap(([shortId, id]) => {
      const document = stored[shortId];
      return document ? [[id, document] as const] : [];
    }),
  );
  const search = MiniSearch.loadJS<IndexedFields>(parsed.data.index, indexOptions());
  return {
    ok: true,
    index: {
      builtAt: parsed.data.builtAt,
      documentCount: parsed.data.documentCount,
      search(query, limit) {
        const hits = search.search(query, {
          boost: { title: 2 },
          prefix: (term) => term.length > 3,
          fuzzy: (term) => (term.length > 5 ? 0.15 : false),
          combineWith: "OR",
        });
        return hits.slice(0, limit).flatMap((hit) => {
          const document = typeof hit.id === "number" ? byId.get(hit.id) : undefined;
          if (!document) return [];
          return [
            {
              slug: document.slug,
              title: document.title,
              excerpt: document.excerpt,
              score: hit.score,
              ...(document.updatedAt ? { updatedAt: document.updatedAt } : {}),
            },
          ];
        });
      },
    },
  };
}
