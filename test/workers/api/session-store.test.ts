import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EVENT_ID_BLOCK, MAX_STORED_MESSAGES } from "../../../workers/sessions/chat-session";

const stub = (name: string) => env.SESSIONS.get(env.SESSIONS.idFromName(name));

describe("ChatSession", () => {
  it("keeps only the newest MAX_STORED_MESSAGES messages", async () => {
    const session = stub("store-cap-session");
    const turns = MAX_STORED_MESSAGES / 2 + 1;
    for (let i = 0; i < turns; i += 1) {
      const turn = await session.beginTurn(`question ${i}`);
      if (!turn.ok) throw new Error("turn refused");
      await session.finishTurn(turn.turnId, { content: `answer ${i}`, sources: [] });
    }
    const { messages } = await session.history();
    expect(messages).toHaveLength(MAX_STORED_MESSAGES);
    expect(messages[0]?.content).toBe("question 1");
    expect(messages.at(-1)?.content).toBe(`answer ${turns - 1}`);
  });

  it("refuses a second turn while one is live, and ignores writes for a finished turn", async () => {
    const session = stub("store-turns-session");
    const first = await session.beginTurn("one");
    expect(first.ok).toBe(true);
    expect(await session.beginTurn("two")).toEqual({ ok: false, reason: "turn-in-progress" });
    if (!first.ok) return;
    await session.appendEvents(first.turnId, [{ id: first.firstEventId, data: JSON.stringify({ type: "text-delta", delta: "hi" }) }]);
    await session.finishTurn(first.turnId, { content: "hi", sources: [] });
    await session.appendEvents(first.turnId, [{ id: first.firstEventId + 1, data: "{}" }]);
    const read = await session.readEvents(0, 0);
    expect(read).toMatchObject({ done: true, interrupted: false, nextId: first.firstEventId + 1 });
    expect(read?.events.map((e) => e.id)).toEqual([first.firstEventId]);
    const second = await session.beginTurn("two");
    // Ids are reserved ahead of the stored ones: the next turn starts after everything reserved.
    expect(second).toMatchObject({ ok: true, firstEventId: first.firstEventId + 1 + EVENT_ID_BLOCK });
  });

  it("forgets itself when its time-to-live runs out, but not while an answer is being written", async () => {
    const session = stub("store-ttl-session");
    const turn = await session.beginTurn("remember me?", 60_000);
    if (!turn.ok) throw new Error("turn refused");
    expect(await runDurableObjectAlarm(session)).toBe(true);
    expect((await session.history()).exists).toBe(true);
    await session.finishTurn(turn.turnId, { content: "for a while", sources: [] });
    expect(await runDurableObjectAlarm(session)).toBe(true);
    expect(await session.history()).toEqual({ exists: false, active: false, messages: [] });
    expect(await runDurableObjectAlarm(session)).toBe(false);
  });

  it("sets no expiry when the time-to-live is 0", async () => {
    const session = stub("store-no-ttl-session");
    const turn = await session.beginTurn("keep me", 0);
    if (!turn.ok) throw new Error("turn refused");
    await session.finishTurn(turn.turnId, { content: "kept", sources: [] });
    expect(await runDurableObjectAlarm(session)).toBe(false);
  });
});
