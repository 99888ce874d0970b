import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseSSEEvents } from "../../../agent/event-stream";
import type { ChatEvent } from "../../../agent/events";
import { readSSEFrames } from "../../../agent/sse-frames";
import { ORIGIN, postJson, request } from "./support/api";
import { createFakeEngine } from "./support/fake-engine";

// Needs the local corpus in dist/assets/corpus (scripts/build-index.ts); the fake engine asks
// for a search whenever the user's message contains "search", then cites sources 1 and 2.
const question = { role: "user", content: "Please search: how does the edge API cite sources?" };

interface Annotation {
  type: string;
  url_citation: { start_index: number; end_index: number; url: string; title: string };
}

describe("answers with search over the local corpus", () => {
  beforeAll(async () => {
    const index = await env.ASSETS.fetch("https://assets.local/corpus/index.json");
    await index.body?.cancel();
    if (!index.ok) throw new Error("dist/assets/corpus is not built: run `npm run build:index` (or `npx tsx scripts/build.ts`) first");
  });

  it("links citations in content and lists them as url_citation annotations", async () => {
    const engine = createFakeEngine();
    const res = await request("/v1/chat/completions", postJson({ model: "megrez", messages: [question], search: "always" }), { ENGINE: engine });
    expect(res.status).toBe(200);
    const body: { choices: { message: { content: string; annotations: Annotation[] } }[] } = await res.json();
    const { content, annotations } = body.choices[0]!.message;
    expect(content).toMatch(/^The worker cites its sources \[1\]\(https:\/\/edge\.test\/corpus\/[^)]+\) and \[2\]\(https:\/\/edge\.test\/corpus\/[^)]+\)\.$/);
    expect(annotations).toHaveLength(2);
    for (const [i, a] of annotations.entries()) {
      expect(a.type).toBe("url_citation");
      expect(content.slice(a.url_citation.start_index, a.url_citation.end_index)).toBe(`[${i + 1}](${a.url_citation.url})`);
      expect(a.url_citation.url.startsWith(`${ORIGIN}/corpus/`)).toBe(true);
      expect(a.url_citation.title.length).toBeGreaterThan(0);
    }
    // The pages were really read (through ASSETS) and summarized by the engine.
    const summaries = engine.calls.filter((c) => c.path === "/v1/completions").flatMap((c) => c.body.prompt ?? []);
    expect(summaries.length).toBeGreaterThanOrEqual(2);
  });

  it("streams the same annotations in delta chunks", async () => {
    const res = await request("/v1/chat/completions", postJson({ model: "megrez", messages: [question], search: "always", stream: true }), {
      ENGINE: createFakeEngine(),
    });
    let content = "";
    const annotations: Annotation[] = [];
    for await (const frame of readSSEFrames(res.body!)) {
      if (frame.data === "[DONE]") break;
      const chunk: { choices: { delta: { content?: string; annotations?: Annotation[] } }[] } = JSON.parse(frame.data);
      content += chunk.choices[0]?.delta.content ?? "";
      annotations.push(...(chunk.choices[0]?.delta.annotations ?? []));
    }
    expect(annotations).toHaveLength(2);
    for (const a of annotations) expect(content.slice(a.url_citation.start_index, a.url_citation.end_index)).toMatch(/^\[\d\]\(https:\/\/edge\.test\/corpus\//);
  });

  it("streams search, sources, page reads and citations on /api/chat and stores the sources", async () => {
    const res = await request("/api/chat", postJson({ sessionId: "search-session-1", message: question.content, search: "always" }), {
      ENGINE: createFakeEngine(),
    });
    const events: ChatEvent[] = [];
    for await (const e of parseSSEEvents(res.body!)) events.push(e.event);
    const types = events.map((e) => e.type);
    for (const t of ["start", "search-start", "search-end", "source", "page-read", "text-delta", "citation", "finish"]) expect(types).toContain(t);
    const sources = events.flatMap((e) => (e.type === "source" ? [e] : []));
    for (const s of sources) {
      expect(s.url.startsWith(`${ORIGIN}/corpus/`)).toBe(true);
      const page = await request(new URL(s.url).pathname);
      expect(page.status).toBe(200);
    }
    const history: { messages: { role: string; sources?: { index: number; url: string }[] }[] } = await (
      await request("/api/sessions/search-session-1")
    ).json();
    expect(history.messages[1]?.sources?.map((s) => s.url)).toEqual(sources.map((s) => s.url));
  });
});
