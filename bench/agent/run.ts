/**
 * Agent critical-path benchmark: time to the first answer token, ours vs the
 * reference's schedule, on the same simulated loopback backends (search
 * 300 ms; 5 pages answering in 200 ms … 3 s, one never; fixed model TTFT and
 * per-token delay). Ours is the real runAgent with the real HTTP model
 * client, page fetcher, extractor and passage selection; only the backends
 * are simulated.
 *
 * Ours runs with the default read deadline (2.5 s) and with a longer one
 * (4 s) to show the latency / coverage trade-off.
 *
 * Usage: npx tsx bench/agent/run.ts [--runs 3]
 */
import { parseAgentConfig } from "../../agent/config";
import type { ChatEvent } from "../../agent/events";
import { createHttpModelClient } from "../../agent/model-client";
import { runAgent } from "../../agent/run-agent";
import { extractPage } from "../../search/extract";
import { createPageFetcher } from "../../search/fetch";
import { selectPassages } from "../../search/passages";
import type { SearchProvider } from "../../search/types";
import { startBackends, type Latencies } from "./backends";
import { runReferenceSchedule, type ScheduleResult } from "./reference-schedule";
import { median } from "../median";

const latencies: Latencies = {
  searchMs: 300,
  pageMs: [200, 1_000, 2_000, 3_000, "never"],
  ttftMs: 150,
  perTokenMs: 20,
  summaryTokens: 40,
  answerTokens: 60,
};
const QUESTION = "Why are there two tides a day?";

function searchOver(url: string): SearchProvider {
  return {
    name: "bench",
    async search(query, options) {
      const response = await fetch(url, { method: "POST", body: JSON.stringify({ query }), signal: options.signal });
      const body = (await response.json()) as { organic: { position: number; link: string; title: string; snippet: string }[] };
      return body.organic
        .slice(0, options.limit)
        .map((item) => ({ rank: item.position, url: item.link, title: item.title, snippet: item.snippet, provider: "bench" }));
    },
  };
}

interface OursResult extends ScheduleResult {
  summarizedCited: number;
  excerptCited: number;
}

const READ_DEADLINES_MS = [2_500, 4_000];

async function runOurs(backends: { searchUrl: string; modelBaseUrl: string }, readMs: number): Promise<OursResult> {
  const model = createHttpModelClient({ baseUrl: backends.modelBaseUrl, model: "megrez", fetch });
  const fetchPage = createPageFetcher({ fetch, allowPrivateAddresses: true, robots: false });
  const began = performance.now();
  let firstAnswerTokenMs = -1;
  const cited = new Set<number>();
  const outcomes = new Map<number, string>();
  let afterCall = false;
  const events = runAgent(
    { messages: [{ role: "user", content: QUESTION }] },
    {
      model,
      search: searchOver(backends.searchUrl),
      fetchPage,
      extract: extractPage,
      selectPassages,
      now: () => new Date(),
      config: parseAgentConfig({ deadlines: { readMs } }),
    },
  );
  for await (const event of events as AsyncIterable<ChatEvent>) {
    if (event.type === "tool-call") afterCall = true;
    if (event.type === "text-delta" && afterCall && firstAnswerTokenMs < 0) firstAnswerTokenMs = performance.now() - began;
    if (event.type === "citation") cited.add(event.index);
    if (event.type === "page-read") outcomes.set(event.index, event.outcome);
  }
  const count = (outcome: string) => [...cited].filter((index) => outcomes.get(index) === outcome).length;
  return { firstAnswerTokenMs, cited: [...cited].sort(), summarizedCited: count("summarized"), excerptCited: count("excerpt") };
}

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf("--runs");
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 3;
  const backends = await startBackends(latencies);
  const ours = new Map<number, OursResult[]>(READ_DEADLINES_MS.map((readMs) => [readMs, []]));
  const reference: ScheduleResult[] = [];
  try {
    for (let run = 0; run < runs; run += 1) {
      for (const readMs of READ_DEADLINES_MS) ours.get(readMs)?.push(await runOurs(backends, readMs));
      reference.push(await runReferenceSchedule({ searchUrl: backends.searchUrl, modelBaseUrl: backends.modelBaseUrl, question: QUESTION }));
    }
  } finally {
    await backends.close();
  }
  const referenceMs = median(reference.map((result) => result.firstAnswerTokenMs));
  console.log(
    `reference schedule: first answer token ${Math.round(referenceMs)} ms (median of ${runs}: ${reference.map((result) => Math.round(result.firstAnswerTokenMs)).join(", ")}), cited ${reference.map((result) => result.cited.length).join("/")} (all with a page summary)`,
  );
  const rows = [];
  for (const [readMs, results] of ours) {
    const oursMs = median(results.map((result) => result.firstAnswerTokenMs));
    const row = {
      readMs,
      firstAnswerTokenMs: results.map((result) => Math.round(result.firstAnswerTokenMs)),
      medianMs: Math.round(oursMs),
      ratio: Number((oursMs / referenceMs).toFixed(3)),
      cited: results.map((result) => result.cited.length),
      citedWithSummary: results.map((result) => result.summarizedCited),
      citedWithExcerpt: results.map((result) => result.excerptCited),
    };
    rows.push(row);
    console.log(
      `ours (read deadline ${readMs} ms): first answer token ${row.medianMs} ms (${row.firstAnswerTokenMs.join(", ")}), ratio ${row.ratio}x (target <= 0.5x); ` +
        `cited ${row.cited.join("/")} (page summary ${row.citedWithSummary.join("/")}, page excerpt ${row.citedWithExcerpt.join("/")}, rest search snippets)`,
    );
  }
  console.log(JSON.stringify({ latencies, runs, referenceMs: Math.round(referenceMs), ours: rows }));
}

await main();
