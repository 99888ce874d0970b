import { describe, expect, it } from "vitest";
import type { ChatEvent } from "../../../agent/events";
import type { RecordedEvent, TurnAnswer } from "../../../workers/sessions/chat-session";
import { TurnRecorder } from "../../../workers/sessions/turn-recorder";

function recordingSink() {
  const batches: RecordedEvent[][] = [];
  const finished: TurnAnswer[] = [];
  return {
    batches,
    finished,
    appendEvents: async (_turn: string, events: RecordedEvent[]) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      batches.push(events);
      return (events.at(-1)?.id ?? 0) + 100;
    },
    finishTurn: (_turn: string, answer: TurnAnswer) => {
      finished.push(answer);
    },
  };
}

const source = (index: number): ChatEvent => ({
  type: "source",
  index,
  url: `https://s${index}.example/`,
  title: `S${index}`,
  snippet: "",
  domain: `s${index}.example`,
});

describe("TurnRecorder", () => {
  it("numbers events from the turn's first id, batches them in order and stores the answer", async () => {
    const sink = recordingSink();
    const recorder = new TurnRecorder(sink, "turn-1", { firstEventId: 41, reservedUntil: 141 }, (err) => {
      throw err;
    });
    const events: ChatEvent[] = [source(2), source(1), { type: "text-delta", delta: "Answer " }, { type: "text-delta", delta: "[1]." }];
    expect(events.map((e) => recorder.add(e))).toEqual([41, 42, 43, 44]);
    const flushed = recorder.flush();
    expect(recorder.add({ type: "finish", reason: "stop", usage: { promptTokens: 1, completionTokens: 2 } })).toBe(45);
    await flushed;
    await recorder.finish();
    expect(sink.batches.map((b) => b.map((e) => e.id))).toEqual([[41, 42, 43, 44], [45]]);
    expect(JSON.parse(sink.batches[0]![2]!.data)).toEqual({ type: "text-delta", delta: "Answer " });
    expect(sink.finished).toEqual([
      {
        content: "Answer [1].",
        sources: [
          { index: 1, url: "https://s1.example/", title: "S1" },
          { index: 2, url: "https://s2.example/", title: "S2" },
        ],
        incomplete: false,
      },
    ]);
  });

  it("marks an answer that finished with an error as incomplete", async () => {
    const sink = recordingSink();
    const recorder = new TurnRecorder(sink, "turn-3", { firstEventId: 1, reservedUntil: 101 }, (err) => {
      throw err;
    });
    recorder.add({ type: "text-delta", delta: "Half an ans" });
    recorder.add({ type: "error", code: "model-timeout", message: "The model took too long.", retryable: true });
    recorder.add({ type: "finish", reason: "error", usage: { promptTokens: 1, completionTokens: 2 } });
    await recorder.finish();
    expect(sink.finished).toEqual([{ content: "Half an ans", sources: [], incomplete: true }]);
  });

  it("streams an id only once it is reserved: reserve() renews the reservation, and fails once the turn is over", async () => {
    let live = true;
    const appended: number[][] = [];
    const sink = {
      appendEvents: async (_turn: string, events: RecordedEvent[]) => {
        appended.push(events.map((event) => event.id));
        return live ? (events.at(-1)?.id ?? 2) + 3 : (false as const);
      },
      finishTurn: () => undefined,
    };
    const recorder = new TurnRecorder(sink, "turn-4", { firstEventId: 1, reservedUntil: 3 }, (err) => {
      throw err;
    });
    const ids: number[] = [];
    for (let index = 0; index < 6; index++) {
      expect(await recorder.reserve()).toBe(true);
      ids.push(recorder.add({ type: "text-delta", delta: "x" }));
    }
    expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
    expect(appended[0]).toEqual([1, 2]);
    live = false;
    while (await recorder.reserve()) recorder.add({ type: "text-delta", delta: "y" });
    await recorder.finish();
    const streamed = appended.flat();
    expect(Math.max(...streamed)).toBeLessThan(10);
  });

  it("reports a failed write instead of throwing into the answer", async () => {
    const errors: unknown[] = [];
    const sink = {
      appendEvents: () => Promise.reject(new Error("storage down")),
      finishTurn: () => undefined,
    };
    const recorder = new TurnRecorder(sink, "turn-2", { firstEventId: 1, reservedUntil: 1025 }, (err) => errors.push(err));
    recorder.add({ type: "text-delta", delta: "x" });
    await recorder.finish();
    expect(errors).toHaveLength(1);
  });
});
