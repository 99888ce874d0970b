import { describe, expect, it } from "vitest";
import { parseSSEEvents, type ParsedSSEEvent } from "../../../agent/event-stream";
import { call, errorOf, postJson, request } from "./support/api";
import { createFakeEngine, textOf } from "./support/fake-engine";

async function readAll(res: Response): Promise<ParsedSSEEvent[]> {
  const out: ParsedSSEEvent[] = [];
  if (!res.body) return out;
  for await (const e of parseSSEEvents(res.body)) out.push(e);
  return out;
}

describe("POST /api/chat", () => {
  it("streams the event union with anti-buffering headers and records the turn", async () => {
    const engine = createFakeEngine();
    const res = await request("/api/chat", postJson({ sessionId: "session-one-1", message: "Say hello", search: "never" }), { ENGINE: engine });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("cache-control")).toContain("no-transform");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    expect(res.headers.get("x-session-id")).toBe("session-one-1");
    const events = await readAll(res);
    const types = events.map((e) => e.event.type);
    expect(types[0]).toBe("start");
    expect(types.at(-1)).toBe("finish");
    expect(events[0]?.event).toMatchObject({ type: "start", sessionId: "session-one-1", model: "megrez" });
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    const text = events.flatMap((e) => (e.event.type === "text-delta" ? [e.event.delta] : [])).join("");
    expect(text).toBe("Hello from the fake engine.");

    const history = await request("/api/sessions/session-one-1");
    expect(history.status).toBe(200);
    const body: { id: string; active: boolean; messages: { role: string; content: string; createdAt: string }[] } = await history.json();
    expect(body.id).toBe("session-one-1");
    expect(body.active).toBe(false);
    expect(body.messages.map((m) => [m.role, m.content])).toEqual([
      ["user", "Say hello"],
      ["assistant", "Hello from the fake engine."],
    ]);
    expect(Number.isNaN(Date.parse(body.messages[0]!.createdAt))).toBe(false);
  });

  it("creates a session id when none is sent and sends earlier turns as history", async () => {
    const engine = createFakeEngine();
    const first = await request("/api/chat", postJson({ message: "First question", search: "never" }), { ENGINE: engine });
    const sessionId = first.headers.get("x-session-id") ?? "";
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await request("/api/chat", postJson({ sessionId, message: "Second question", search: "never" }), { ENGINE: engine });
    const calls = engine.calls.filter((c) => c.path === "/v1/chat/completions");
    const sent = calls.at(-1)?.body.messages?.map((m) => `${m.role}:${m.content}`) ?? [];
    expect(sent.slice(1)).toEqual(["user:First question", "assistant:Hello from the fake engine.", "user:Second question"]);
    const history: { messages: unknown[] } = await (await request(`/api/sessions/${sessionId}`)).json();
    expect(history.messages).toHaveLength(4);
  });

  it("deletes a session", async () => {
    await request("/api/chat", postJson({ sessionId: "session-to-delete", message: "hi", search: "never" }), { ENGINE: createFakeEngine() });
    expect((await request("/api/sessions/session-to-delete")).status).toBe(200);
    expect((await request("/api/sessions/session-to-delete", { method: "DELETE" })).status).toBe(204);
    const gone = await request("/api/sessions/session-to-delete");
    expect(gone.status).toBe(404);
    expect((await errorOf(gone)).code).toBe("session_not_found");
  });

  it("ends the stream with error and finish when the engine is down, and masks the detail", async () => {
    const engine = createFakeEngine({ failWith: { status: 500, body: "internal sk-live-SECRET" } });
    const res = await request("/api/chat", postJson({ sessionId: "session-engine-down", message: "hi", search: "never" }), { ENGINE: engine });
    const events = (await readAll(res)).map((e) => e.event);
    expect(events.at(-2)).toMatchObject({ type: "error", code: "model-unavailable", message: "The language model is unavailable." });
    expect(events.at(-1)).toMatchObject({ type: "finish", reason: "error" });
    expect(JSON.stringify(events)).not.toContain("SECRET");
  });
});

describe("resuming a stream", () => {
  it("replays what the client missed after Last-Event-ID and follows the live answer to its end", async () => {
    const engine = createFakeEngine({ chunkSize: 3, chunkDelayMs: 40 });
    const live = await call("/api/chat", postJson({ sessionId: "session-resume-1", message: "Say hello", search: "never" }), { ENGINE: engine });
    expect(live.response.status).toBe(200);
    // Read a few events, then drop the connection as a flaky network would.
    const reader = live.response.body!.getReader();
    const seen: ParsedSSEEvent[] = [];
    const received = (async function* () {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    })();
    for await (const e of parseSSEEvents(received)) {
      seen.push(e);
      if (e.event.type === "text-delta") break;
    }
    await reader.cancel();

    const busy = await request("/api/chat", postJson({ sessionId: "session-resume-1", message: "again", search: "never" }), { ENGINE: engine });
    expect(busy.status).toBe(409);
    expect((await errorOf(busy)).code).toBe("turn_in_progress");

    const lastId = seen.at(-1)!.id!;
    const resumed = await request("/api/chat/session-resume-1/stream", { headers: { "last-event-id": lastId } });
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get("x-session-id")).toBe("session-resume-1");
    const rest = await readAll(resumed);
    await live.settled;
    expect(Number(rest[0]?.id)).toBe(Number(lastId) + 1);
    expect(rest.at(-1)?.event.type).toBe("finish");
    const text = [...seen, ...rest].flatMap((e) => (e.event.type === "text-delta" ? [e.event.delta] : [])).join("");
    expect(text).toBe("Hello from the fake engine.");

    const replay = await readAll(await request("/api/chat/session-resume-1/stream"));
    expect(replay.map((e) => e.event.type)).toEqual([...seen, ...rest].map((e) => e.event.type));
  });

  it("cancels a running answer: the engine request is aborted and the session takes a new message at once", async () => {
    const engine = createFakeEngine({ chunkSize: 2, chunkDelayMs: 40 });
    const live = await call("/api/chat", postJson({ sessionId: "session-cancel-1", message: "Say hello", search: "never" }), { ENGINE: engine });
    const reader = live.response.body!.getReader();
    const received = (async function* () {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    })();
    for await (const e of parseSSEEvents(received)) if (e.event.type === "text-delta") break;
    await reader.cancel();

    const cancelled = await request("/api/chat/session-cancel-1/cancel", { method: "POST" });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toEqual({ sessionId: "session-cancel-1", cancelled: true });
    await live.settled;
    // The fake engine notices the abort at its next chunk.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.aborted).toBe(1);

    const replay = await readAll(await request("/api/chat/session-cancel-1/stream"));
    expect(replay.at(-1)?.event).toMatchObject({ type: "finish", reason: "aborted" });
    const again = await request("/api/chat", postJson({ sessionId: "session-cancel-1", message: "again", search: "never" }), { ENGINE: engine });
    expect(again.status).toBe(200);
    await readAll(again);
    const idle = await request("/api/chat/session-cancel-1/cancel", { method: "POST" });
    expect(await idle.json()).toEqual({ sessionId: "session-cancel-1", cancelled: false });
  });

  it("answers 404 for a session without an answer", async () => {
    const res = await request("/api/chat/no-such-session/stream");
    expect(res.status).toBe(404);
  });
});

describe("event ids and failed answers across turns", () => {
  it("never gives a later turn an id an earlier, cancelled turn already streamed", async () => {
    const engine = createFakeEngine({ chunkSize: 1, chunkDelayMs: 15 });
    const first = await call("/api/chat", postJson({ sessionId: "session-ids-1", message: "Say hello", search: "never" }), { ENGINE: engine });
    const firstIds: number[] = [];
    const reading = (async () => {
      for await (const e of parseSSEEvents(first.response.body!)) {
        firstIds.push(Number(e.id));
        if (e.event.type === "text-delta" && firstIds.length === 4) await request("/api/chat/session-ids-1/cancel", { method: "POST" });
      }
    })();
    await reading;
    await first.settled;
    const second = await readAll(await request("/api/chat", postJson({ sessionId: "session-ids-1", message: "again", search: "never" }), { ENGINE: engine }));
    const secondIds = second.map((e) => Number(e.id));
    expect(firstIds.length).toBeGreaterThan(4);
    expect(Math.min(...secondIds)).toBeGreaterThan(Math.max(...firstIds));
    expect(secondIds).toEqual(secondIds.map((_, i) => secondIds[0]! + i));
  });

  it("keeps the partial text of a failed answer marked incomplete, and out of the next turn's context", async () => {
    const long = "This answer is long enough to stream several chunks before the engine goes away for good.";
    const broken = createFakeEngine({ reply: () => long, chunkSize: 6, chunkDelayMs: 10, cut: { afterChunks: 10, how: "error" } });
    const failed = await readAll(
      await request("/api/chat", postJson({ sessionId: "session-partial-1", message: "Say hello", search: "never" }), { ENGINE: broken }),
    );
    expect(failed.at(-1)?.event).toMatchObject({ type: "finish", reason: "error" });
    const partial = failed.flatMap((e) => (e.event.type === "text-delta" ? [e.event.delta] : [])).join("");
    expect(partial.length).toBeGreaterThan(0);

    const history: { messages: { role: string; content: string; incomplete?: boolean }[] } = await (await request("/api/sessions/session-partial-1")).json();
    expect(history.messages.map((m) => [m.role, m.content, m.incomplete ?? false])).toEqual([
      ["user", "Say hello", false],
      ["assistant", partial, true],
    ]);

    const engine = createFakeEngine();
    await readAll(await request("/api/chat", postJson({ sessionId: "session-partial-1", message: "Try again", search: "never" }), { ENGINE: engine }));
    const sent = engine.calls.at(-1)?.body.messages?.map((m) => `${m.role}:${textOf(m)}`) ?? [];
    expect(sent.slice(1)).toEqual(["user:Say hello", "user:Try again"]);
    expect(sent.join("\n")).not.toContain(partial);
  });
});
