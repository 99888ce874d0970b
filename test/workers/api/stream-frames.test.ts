/**
 * The exact bytes both streaming routes send, through the real worker with a
 * scripted engine, compared with the recordings in test/fixtures/sse-frames/.
 * Only what differs between two runs is normalized (response ids, session ids,
 * timestamps). A change to these files is a change of the wire format: it is
 * either a deliberate fix (say so in the commit) or a regression. The clock is
 * pinned (the system prompt carries the date and weekday, so token counts would
 * change with the day). The sources come from the demo corpus, which is built
 * from docs/: an edit there can re-rank them, and then this recording is redone.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import { postJson, request } from "./support/api";
import { createFakeEngine, type FakeEngineScript } from "./support/fake-engine";

const searchQuestion = "Please search: how does the edge API cite sources?";

function normalize(text: string): string {
  return (
    pageReadsInIndexOrder(text)
      .replace(/chatcmpl-[0-9a-f]{32}/g, "chatcmpl-<id>")
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
      .replace(/"created":\d+/g, '"created":0')
      // Source dates of the local corpus are its files' modification times, which differ between checkouts.
      .replace(/"date":"[^"]*"/g, '"date":"<date>"')
  );
}

/**
 * Pages are read as they arrive, so the order of a run of `page-read` events
 * depends on timing: the run is put in index order (ids and `done` counts stay
 * where they were), everything else stays byte for byte.
 */
function pageReadsInIndexOrder(text: string): string {
  const frames = text.split("\n\n");
  const isRead = (frame: string) => frame.includes("\nevent: page-read\n");
  const dataOf = (frame: string) => JSON.parse(frame.slice(frame.indexOf("data: ") + 6)) as { index: number; done: number };
  for (let start = 0; start < frames.length; start += 1) {
    if (!isRead(frames[start]!)) continue;
    let end = start;
    while (end < frames.length && isRead(frames[end]!)) end += 1;
    const run = frames.slice(start, end);
    const sorted = run.map(dataOf).sort((a, b) => a.index - b.index);
    for (const [offset, frame] of run.entries()) {
      const original = dataOf(frame);
      const data = JSON.stringify({ ...sorted[offset], done: original.done });
      frames[start + offset] = `${frame.slice(0, frame.indexOf("data: ") + 6)}${data}`;
    }
    start = end;
  }
  return frames.join("\n\n");
}

async function framesOf(path: string, body: unknown, script: FakeEngineScript = {}): Promise<string> {
  const res = await request(path, postJson(body), { ENGINE: createFakeEngine(script), KEEP_ALIVE_MS: "0" });
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  return normalize(await res.text());
}

const fixture = (name: string) => `../../fixtures/sse-frames/${name}.sse`;

describe("the SSE frames of /api/chat and /v1/chat/completions", () => {
  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-12-02T12:00:00Z") });
    const index = await env.ASSETS.fetch("https://assets.local/corpus/index.json");
    await index.body?.cancel();
    if (!index.ok) throw new Error("dist/assets/corpus is not built: run `npx tsx scripts/build.ts` first");
  });

  afterAll(() => {
    vi.useRealTimers();
  });

  const chat = (message: string, search: string, extra: Record<string, unknown> = {}) => ({ message, search, ...extra });
  const completion = (content: string, search: string, extra: Record<string, unknown> = {}) => ({
    model: "megrez",
    messages: [{ role: "user", content }],
    search,
    stream: true,
    ...extra,
  });

  it("/api/chat: an answer with search, sources and citations", async () => {
    await expect(await framesOf("/api/chat", chat(searchQuestion, "always"))).toMatchFileSnapshot(fixture("api-chat-search"));
  });

  it("/api/chat: the engine is down", async () => {
    const text = await framesOf("/api/chat", chat("Say hello", "never"), { failWith: { status: 503, body: "down" } });
    await expect(text).toMatchFileSnapshot(fixture("api-chat-engine-down"));
  });

  it("/api/chat: the engine's stream is cut mid-answer", async () => {
    const text = await framesOf("/api/chat", chat("Say hello", "never"), { cut: { afterChunks: 3, how: "close" } });
    await expect(text).toMatchFileSnapshot(fixture("api-chat-engine-cut"));
  });

  it("/v1/chat/completions: an answer with search, annotations and usage", async () => {
    const text = await framesOf("/v1/chat/completions", completion(searchQuestion, "always", { stream_options: { include_usage: true } }));
    await expect(text).toMatchFileSnapshot(fixture("v1-search-usage"));
  });

  it("/v1/chat/completions: an answer cut by its length", async () => {
    const text = await framesOf("/v1/chat/completions", completion("Say hello", "never"), { finishReason: "length" });
    await expect(text).toMatchFileSnapshot(fixture("v1-length"));
  });

  it("/v1/chat/completions: the engine is down", async () => {
    const text = await framesOf("/v1/chat/completions", completion("Say hello", "never"), { failWith: { status: 503, body: "down" } });
    await expect(text).toMatchFileSnapshot(fixture("v1-engine-down"));
  });

  it("/v1/chat/completions: the engine's stream is cut mid-answer", async () => {
    const text = await framesOf("/v1/chat/completions", completion("Say hello", "never"), { cut: { afterChunks: 3, how: "close" } });
    await expect(text).toMatchFileSnapshot(fixture("v1-engine-cut"));
  });
});
