import { describe, expect, it } from "vitest";
import type { ChatEvent } from "../../../agent/events";
import type { RecordedEvent, SessionSource } from "../../../workers/sessions/chat-session";
import { TurnRecorder } from "../../../workers/sessions/turn-recorder";

function recordingSink() {
  const batches: RecordedEvent[][] = [];
  const finished: { content: string; sources: SessionSource[] }[] = [];
  return {
    batches,
    finished,
    appendEvents: async (_turn: string, events: RecordedEvent[]) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      batches.push(events);
    },
    finishTurn: (_turn: string, answer: { content: string; sources: SessionSource[] }) => {
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
    const recorder = new TurnRecorder(sink, "turn-1", 41, (err) => {
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
      },
    ]);
  });

  it("reports a failed write instead of throwing into the answer", async () => {
    const errors: unknown[] = [];
    const sink = {
      appendEvents: () => Promise.reject(new Error("storage down")),
      finishTurn: () => undefined,
    };
    const recorder = new TurnRecorder(sink, "turn-2", 1, (err) => errors.push(err));
    recorder.add({ type: "text-delta", delta: "x" });
    await recorder.finish();
    expect(errors).toHaveLength(1);
  });
});
