/**
 * Writes the events of one answer into its ChatSession, batched: one RPC per
 * burst of events rather than one per token, flushed at least every
 * FLUSH_MS so a reconnecting client lags the live stream by little. Also
 * accumulates the answer text and sources that become the turn's message.
 */
import type { ChatEvent } from "../../agent/events";
import type { RecordedEvent, SessionSource } from "./chat-session";

export const FLUSH_MS = 100;

/** The part of the ChatSession stub the recorder needs (a fake in tests). */
export interface TurnSink {
  /** False when the turn is no longer live (cancelled): the recorder then reports it once. */
  // biome-ignore lint/suspicious/noConfusingVoidType: sinks that cannot tell liveness return nothing.
  appendEvents(turnId: string, events: RecordedEvent[]): Promise<boolean | void> | boolean | void;
  finishTurn(turnId: string, answer: { content: string; sources: SessionSource[] }): Promise<void> | void;
}

export class TurnRecorder {
  private pending: RecordedEvent[] = [];
  private nextId: number;
  private text = "";
  private readonly sources = new Map<number, SessionSource>();
  private flushing: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private cancelled = false;

  constructor(
    private readonly sink: TurnSink,
    private readonly turnId: string,
    firstEventId: number,
    private readonly onError: (err: unknown) => void,
    private readonly onCancelled: () => void = () => undefined,
  ) {
    this.nextId = firstEventId;
  }

  /** Records one event and returns the id it was stored under. */
  add(event: ChatEvent): number {
    const id = this.nextId++;
    this.pending.push({ id, data: JSON.stringify(event) });
    if (event.type === "text-delta") this.text += event.delta;
    if (event.type === "source") this.sources.set(event.index, { index: event.index, url: event.url, title: event.title });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_MS);
    return id;
  }

  /** Writes what is pending (serialized after earlier flushes, so ids arrive in order). */
  flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        const live = await this.sink.appendEvents(this.turnId, batch);
        if (live === false && !this.cancelled) {
          this.cancelled = true;
          this.onCancelled();
        }
      } catch (err) {
        this.onError(err);
      }
    });
    return this.flushing;
  }

  /** Flushes and closes the turn with the accumulated answer. */
  async finish(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    try {
      const sources = [...this.sources.values()].sort((a, b) => a.index - b.index);
      await this.sink.finishTurn(this.turnId, { content: this.text, sources });
    } catch (err) {
      this.onError(err);
    }
  }
}
