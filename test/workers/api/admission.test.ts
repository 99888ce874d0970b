// Admission by capacity (MAX_CONCURRENT_CHATS): beyond the limit a chat is refused before any work starts, with
// 503 overloaded and a Retry-After, on every answering route (/api/chat, /v1/chat/completions, /v1/responses); an
// answer gives its place back however it ends: finished, failed (engine error, streamed or not), or its client gone.
import { describe, expect, it } from "vitest";
import { parseSSEEvents } from "../../../agent/event-stream";
import { call, errorOf, postJson, request } from "./support/api";
import { createFakeEngine } from "./support/fake-engine";

async function drain(response: Response): Promise<string[]> {
  const types: string[] = [];
  if (!response.body) return types;
  for await (const { event } of parseSSEEvents(response.body)) types.push(event.type);
  return types;
}

describe("admission by capacity", () => {
  it("refuses the chat over the limit before any work, with 503 and Retry-After, and admits again once one finishes", async () => {
    const engine = createFakeEngine({ chunkSize: 2, chunkDelayMs: 30 });
    const vars = { ENGINE: engine, MAX_CONCURRENT_CHATS: "2" };
    const running = await Promise.all(
      ["admit-session-01", "admit-session-02"].map((sessionId) => call("/api/chat", postJson({ sessionId, message: "Say hello", search: "never" }), vars)),
    );
    expect(running.map(({ response }) => response.status)).toEqual([200, 200]);

    // The refused requests get an engine of their own: it must see no call at all.
    const untouched = createFakeEngine();
    const refusedVars = { ENGINE: untouched, MAX_CONCURRENT_CHATS: "2" };
    const refused = await request("/api/chat", postJson({ sessionId: "admit-session-03", message: "Say hello", search: "never" }), refusedVars);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(refused)).toMatchObject({ code: "overloaded", type: "server_error", message: expect.stringMatching(/try again in \d+ s/) });
    const openai = await request(
      "/v1/chat/completions",
      postJson({ model: "megrez", messages: [{ role: "user", content: "hi" }], search: "never" }),
      refusedVars,
    );
    expect(openai.status).toBe(503);
    expect(openai.headers.get("retry-after")).not.toBeNull();
    expect(untouched.calls).toEqual([]);
    // The refused session was never started: it takes a message as soon as there is room.
    expect((await request("/api/sessions/admit-session-03")).status).toBe(404);

    for (const { response, settled } of running) {
      expect((await drain(response)).at(-1)).toBe("finish");
      await settled;
    }
    const again = await request("/v1/chat/completions", postJson({ model: "megrez", messages: [{ role: "user", content: "hi" }], search: "never" }), vars);
    expect(again.status).toBe(200);
    const next = await call("/api/chat", postJson({ sessionId: "admit-session-03", message: "Say hello", search: "never" }), vars);
    expect(next.response.status).toBe(200);
    expect((await drain(next.response)).at(-1)).toBe("finish");
    await next.settled;
  });

  it("gives the place back when a session refuses the turn (409) and has no limit by default", async () => {
    const engine = createFakeEngine({ chunkSize: 2, chunkDelayMs: 30 });
    const limited = { ENGINE: engine, MAX_CONCURRENT_CHATS: "2" };
    const first = await call("/api/chat", postJson({ sessionId: "admit-session-10", message: "Say hello", search: "never" }), limited);
    const busy = await request("/api/chat", postJson({ sessionId: "admit-session-10", message: "again", search: "never" }), limited);
    expect(busy.status).toBe(409);
    const other = await call("/api/chat", postJson({ sessionId: "admit-session-11", message: "Say hello", search: "never" }), limited);
    expect(other.response.status).toBe(200);
    for (const { response, settled } of [first, other]) {
      await drain(response);
      await settled;
    }
    const unlimited = await Promise.all(
      [1, 2, 3].map((n) => call("/api/chat", postJson({ sessionId: `admit-session-2${n}`, message: "Say hello", search: "never" }), { ENGINE: engine })),
    );
    expect(unlimited.map(({ response }) => response.status)).toEqual([200, 200, 200]);
    for (const { response, settled } of unlimited) {
      await drain(response);
      await settled;
    }
  });

  const completion = (stream: boolean) =>
    postJson({ model: "megrez", messages: [{ role: "user", content: "hi" }], search: "never", ...(stream ? { stream: true } : {}) });

  /** One more chat at limit 1 is admitted, i.e. no lease is left over. */
  async function expectRoom(): Promise<void> {
    const res = await request("/v1/chat/completions", completion(false), { ENGINE: createFakeEngine(), MAX_CONCURRENT_CHATS: "1" });
    expect(res.status).toBe(200);
  }

  it.each([
    ["before the answer's first word", false],
    ["mid-answer", true],
  ])("gives the place back when a streaming client goes away %s", async (_, midAnswer) => {
    const slow = createFakeEngine({ chunkSize: 1, chunkDelayMs: 40, reply: () => "a long answer that takes a good while to stream" });
    const vars = { ENGINE: slow, MAX_CONCURRENT_CHATS: "1" };
    const first = await call("/v1/chat/completions", completion(true), vars);
    expect(first.response.status).toBe(200);
    const reader = first.response.body?.getReader();
    const decoder = new TextDecoder();
    let seen = decoder.decode((await reader?.read())?.value);
    while (midAnswer && !seen.includes('"content":"a"')) seen += decoder.decode((await reader?.read())?.value);
    expect((await request("/v1/chat/completions", completion(true), vars)).status).toBe(503);
    await reader?.cancel();
    await first.settled;
    await expectRoom();
    // Mid-answer, the engine's stream is stopped too (it notices at its next chunk): the place given back is really free.
    if (midAnswer) {
      for (let waited = 0; slow.aborted === 0 && waited < 2_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(slow.aborted).toBe(1);
    }
  });

  it("gives the place back when the engine fails, streamed or not, on both routes", async () => {
    const failing = createFakeEngine({ failWith: { status: 500, body: "boom" } });
    const vars = { ENGINE: failing, MAX_CONCURRENT_CHATS: "1" };
    const plain = await request("/v1/chat/completions", completion(false), vars);
    expect(plain.status).toBe(502);
    await expectRoom();
    const streamed = await request("/v1/chat/completions", completion(true), vars);
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain('"error"');
    await expectRoom();
    const chat = await call("/api/chat", postJson({ sessionId: "admit-session-30", message: "Say hello", search: "never" }), vars);
    expect((await drain(chat.response)).slice(-2)).toEqual(["error", "finish"]);
    await chat.settled;
    await expectRoom();
    const cut = createFakeEngine({ chunkSize: 2, cut: { afterChunks: 2, how: "error" } });
    const broken = await request("/v1/chat/completions", completion(true), { ENGINE: cut, MAX_CONCURRENT_CHATS: "1" });
    expect(await broken.text()).toContain('"error"');
    await expectRoom();
  });

  it("counts /v1/responses answers too: one running holds the place, an invalid request takes none", async () => {
    const respond = (stream: boolean, extra: Record<string, unknown> = {}) =>
      postJson({ model: "megrez", input: "hi", store: false, ...(stream ? { stream: true } : {}), ...extra });
    const slow = createFakeEngine({ chunkSize: 1, chunkDelayMs: 30, reply: () => "an answer that takes a while" });
    const vars = { ENGINE: slow, MAX_CONCURRENT_CHATS: "1" };
    const running = await call("/v1/responses", respond(true), vars);
    expect(running.response.status).toBe(200);
    const untouched = createFakeEngine();
    const refused = await request("/v1/responses", respond(false), { ENGINE: untouched, MAX_CONCURRENT_CHATS: "1" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).not.toBeNull();
    expect(await errorOf(refused)).toMatchObject({ code: "overloaded" });
    expect((await request("/v1/chat/completions", completion(false), { ENGINE: untouched, MAX_CONCURRENT_CHATS: "1" })).status).toBe(503);
    expect(untouched.calls).toEqual([]);
    expect(await running.response.text()).toContain("response.completed");
    await running.settled;
    // An unknown previous_response_id is refused before admission: it leaves the place free.
    const unknown = await request("/v1/responses", respond(false, { previous_response_id: "resp_0123456789abcdef" }), vars);
    expect(unknown.status).toBe(400);
    await expectRoom();
    const failing = await request("/v1/responses", respond(false), {
      ENGINE: createFakeEngine({ failWith: { status: 500, body: "boom" } }),
      MAX_CONCURRENT_CHATS: "1",
    });
    expect(failing.status).toBe(502);
    await expectRoom();
    const again = await request("/v1/responses", respond(false), vars);
    expect(again.status).toBe(200);
  });
});
