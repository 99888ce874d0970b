// A widget with a site key answers from its site only, through the same agent and citations as
// any answer; a chat request can scope itself to its own key's sites; another key's site is never
// reachable. Two loopback sites with the same pages make "from that site only" observable.
import { describe, expect, it } from "vitest";
import { parseSSEEvents } from "../../../agent/event-stream";
import type { ChatEvent } from "../../../agent/events";
import { postJson, request } from "../api/support/api";
import { createFakeEngine, type FakeEngineMessage } from "../api/support/fake-engine";
import { createSite, KEY_A, KEY_B, newTestSite, uniqueName, waitForCrawl } from "./support/sites";

/** The model searches for the marmalade protocol, then cites its first two sources. */
function engine() {
  return createFakeEngine({
    reply: (messages: FakeEngineMessage[]) =>
      messages[messages.length - 1]?.role === "observation"
        ? "The marmalade protocol is documented on the hidden page [citation:1]."
        : '<|function_start|>{"name":"webSearch","arguments":{"query":"marmalade protocol install guide"}}<|function_end|>',
  });
}

async function crawledSite(prefix: string, key: string) {
  const testSite = await newTestSite();
  const site = await createSite({ name: uniqueName(prefix), startUrls: [`${testSite.origin}/`], robotsSitemaps: false }, key);
  expect((await waitForCrawl(site.id, site.latestCrawl!.id, key)).status).toBe("done");
  return { ...site, origin: testSite.origin };
}

async function events(response: Response): Promise<ChatEvent[]> {
  const all: ChatEvent[] = [];
  for await (const e of parseSSEEvents(response.body!)) all.push(e.event);
  return all;
}

const WIDGET_ORIGIN = "https://docs-a.example";

describe("answers from a crawled site", () => {
  it("a widget's site key answers from its site only, and cannot reach another site", async () => {
    const [a, b] = await Promise.all([crawledSite("answer-a", KEY_A), crawledSite("answer-b", KEY_B)]);
    const vars = {
      API_KEYS: `${KEY_A},${KEY_B}`,
      WIDGET_SITE_KEYS: JSON.stringify({ "pk-site-a": { origins: [WIDGET_ORIGIN], sites: [a.name] } }),
    };
    const widget = { "x-site-key": "pk-site-a", origin: WIDGET_ORIGIN };
    const res = await request("/api/chat", postJson({ message: "Where is the marmalade protocol?", search: "always" }, widget), { ...vars, ENGINE: engine() });
    expect(res.status).toBe(200);
    const answer = await events(res);
    const sources = answer.flatMap((e) => (e.type === "source" ? [e] : []));
    expect(sources.length).toBeGreaterThan(1);
    // Site B has the very same pages; none of them may appear.
    for (const source of sources) expect(source.url.startsWith(`${a.origin}/`)).toBe(true);
    expect(sources[0]?.url).toBe(`${a.origin}/docs/hidden`);
    // The agent read the pages and cited them as it does web results.
    expect(answer.some((e) => e.type === "page-read" && e.outcome === "summarized")).toBe(true);
    expect(answer.some((e) => e.type === "citation")).toBe(true);

    // The widget's page cannot widen the scope to another site.
    const widen = await request("/api/chat", postJson({ message: "Where is the marmalade protocol?", search: { sites: [b.name] } }, widget), {
      ...vars,
      ENGINE: engine(),
    });
    expect(widen.status).toBe(404);
    expect(((await widen.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("a chat request scopes itself to its own key's sites; another key's site is 404", async () => {
    const [a, b] = await Promise.all([crawledSite("scope-a", KEY_A), crawledSite("scope-b", KEY_B)]);
    const vars = { API_KEYS: `${KEY_A},${KEY_B}` };
    const ask = (key: string, sites: string[]) =>
      request(
        "/v1/chat/completions",
        postJson(
          { model: "megrez", messages: [{ role: "user", content: "Where is the marmalade protocol?" }], search: { mode: "always", sites } },
          { authorization: `Bearer ${key}` },
        ),
        { ...vars, ENGINE: engine() },
      );
    const own = await ask(KEY_B, [b.name]);
    expect(own.status).toBe(200);
    const body = (await own.json()) as { choices: { message: { content: string; annotations: { url_citation: { url: string } }[] } }[] };
    const cited = body.choices[0]!.message.annotations.map((annotation) => annotation.url_citation.url);
    expect(cited).toEqual([`${b.origin}/docs/hidden`]);

    for (const sites of [[a.name], [a.id], [b.name, a.name]]) {
      const other = await ask(KEY_B, sites);
      expect(other.status).toBe(404);
      expect(((await other.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: "not_found",
        message: `No site ${sites.at(-1)}.`,
      });
    }
  });
});
