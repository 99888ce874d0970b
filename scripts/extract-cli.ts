/**
 * Extract article text from files or URLs:
 *   npm run extract -- [--json] [--allow-private] <file|url>...
 * Files ending in .gz are gunzipped; bytes are decoded with the page's own charset rules. URLs go
 * through the guarded page fetcher (robots.txt, caps, private addresses refused unless
 * --allow-private). Plain output prints title, URL and text per input; --json prints one JSON
 * object per line: { input, url, title, text, canonicalUrl?, publishedAt?, language? }, or
 * { input, error } for an input that failed. Exit status 1 when any input failed.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { decodeHtmlBytes } from "../search/charset";
import { extractPage } from "../search/extract";
import { createPageFetcher } from "../search/fetch";
import type { ExtractedPage } from "../search/types";

type Extraction = { ok: true; page: ExtractedPage } | { ok: false; error: string };

async function fromFile(path: string): Promise<Extraction> {
  let bytes: Uint8Array;
  try {
    const raw = await readFile(path);
    bytes = new Uint8Array(path.endsWith(".gz") ? gunzipSync(raw) : raw);
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const html = decodeHtmlBytes(bytes, undefined).text;
  return { ok: true, page: extractPage(html, pathToFileURL(resolve(path)).href) };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { json: { type: "boolean", default: false }, "allow-private": { type: "boolean", default: false }, help: { type: "boolean", default: false } },
  });
  if (values.help || positionals.length === 0) {
    console.error("usage: npm run extract -- [--json] [--allow-private] <file|url>...");
    return values.help ? 0 : 2;
  }
  const fetchPage = createPageFetcher({ fetch, allowPrivateAddresses: values["allow-private"] ?? false });
  let failures = 0;
  for (const input of positionals) {
    let result: Extraction;
    if (/^https?:\/\//i.test(input)) {
      const outcome = await fetchPage(input);
      result = outcome.ok
        ? { ok: true, page: extractPage(outcome.body, outcome.finalUrl) }
        : { ok: false, error: `${outcome.reason}${outcome.detail ? `: ${outcome.detail}` : outcome.status ? ` (HTTP ${outcome.status})` : ""}` };
    } else {
      result = await fromFile(input);
    }
    if (!result.ok) {
      failures++;
      if (values.json) console.log(JSON.stringify({ input, error: result.error }));
      else console.error(`${input}: ${result.error}`);
      continue;
    }
    const { page } = result;
    if (values.json) {
      console.log(
        JSON.stringify({
          input,
          url: page.url,
          title: page.title,
          text: page.text,
          canonicalUrl: page.canonicalUrl,
          publishedAt: page.publishedAt,
          language: page.language,
        }),
      );
    } else {
      console.log(`# ${page.title}\n${page.canonicalUrl ?? page.url}${page.publishedAt ? `\npublished ${page.publishedAt}` : ""}\n\n${page.text}\n\n---\n`);
    }
  }
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`extract failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
