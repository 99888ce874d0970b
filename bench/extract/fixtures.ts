/**
 * Loads the real-page extraction fixtures (test/fixtures/extraction): gzip HTML decoded with the
 * page's own charset rules (BOM, then <meta charset>, else UTF-8), the human ground truth and the
 * published peer outputs. Node-only (fs, zlib); used by the benchmark and the F1-floor test.
 */
import { readFileSync, readdirSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { decodeHtmlBytes } from "../../search/charset";

export const EXTRACTION_FIXTURES = fileURLToPath(new URL("../../test/fixtures/extraction/", import.meta.url));

const groundTruthSchema = z.record(z.string(), z.object({ url: z.string(), articleBody: z.string() }));
const peerSchema = z.record(z.string(), z.object({ articleBody: z.string().nullable().optional() }).passthrough());

export interface FixturePage {
  id: string;
  url: string;
  html: string;
  bytes: number;
  truth: string;
}

export function loadFixturePages(): FixturePage[] {
  const truth = groundTruthSchema.parse(JSON.parse(readFileSync(`${EXTRACTION_FIXTURES}ground-truth.json`, "utf8")));
  const files = readdirSync(`${EXTRACTION_FIXTURES}html`)
    .filter((name) => name.endsWith(".html.gz"))
    .sort();
  const pages: FixturePage[] = [];
  for (const file of files) {
    const id = file.slice(0, -".html.gz".length);
    const entry = truth[id];
    if (!entry) continue;
    const bytes = gunzipSync(readFileSync(`${EXTRACTION_FIXTURES}html/${file}`));
    pages.push({ id, url: entry.url, html: decodeHtmlBytes(new Uint8Array(bytes), undefined).text, bytes: bytes.length, truth: entry.articleBody });
  }
  return pages;
}

/** A published peer's output, keyed by page id ("" where the peer produced nothing). */
export function loadPeerOutputs(name: string): Map<string, string> {
  const parsed = peerSchema.parse(JSON.parse(readFileSync(`${EXTRACTION_FIXTURES}peers/${name}.json`, "utf8")));
  return new Map(Object.entries(parsed).map(([id, value]) => [id, value.articleBody ?? ""]));
}

export function listPeers(): string[] {
  return readdirSync(`${EXTRACTION_FIXTURES}peers`)
    .filter((name) => name.endsWith(".json"))
    .map((name) => name.slice(0, -5))
    .sort();
}
