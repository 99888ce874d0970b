/**
 * Writes the events of one answer into its ChatSession, batched: one RPC per
 * burst of events rather than one per token, flushed at least every
 * FLUSH_MS so a reconnecting client lags the live stream by little. Also
 * accumulates the answer text and sources that become the turn's message
 * (marked incomplete when the answer finished with an error or was aborted).
 *
 * Ids: the session reserves ids ahead of the stored ones (each append returns
 * the new reservation); the pump awaits `reserve()` before streaming an event
 * whose id is not reserved yet, so no id streamed to a client is ever given
 * to a later turn.
 */
import type { ChatEvent } from "../../agent/events";
import type { RecordedEvent, SessionSource, TurnAnswer } from "./chat-session";

export const FLUSH_MS = 100;

/** The part of the ChatSession stub the recorder needs (a fake in tests). */
export interface TurnSink {
  /**
   * False when the turn is no longer live (cancelled): the recorder then reports it once. Otherwise the
   * first event id not reserved for the turn.
   */
  appendEvents(turnId: string, events: RecordedEvent[]): Promise<number | false> | number | false;
  finishTurn(turnId: string, answer: TurnAnswer): Promise<void> | void;
}

export class TurnRecorder {
  private pending: RecordedEvent[] = [];
  private nextId: number;
  private text = "";
  private readonly sources = new Map<number, SessionSource>();
  private flushing: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private cancelled = false;
  private incomplete = false;
  private reservedUntil: number;

  constructor(
    private readonly sink: TurnSink,
    private readonly turnId: string,
    ids: { firstEventId: number; reservedUntil: number },
    private readonly onError: (err: unknown) => void,
    private readonly onCancelled: () => void = () => undefined,
  ) {
    this.nextId = ids.firstEventId;
    this.reservedUntil = ids.reservedUntil;
  }

  /**
   * Resolves true once the next event's id is reserved (flushing to ask for more when it is not), false
   * when no more can be had (the turn is over): the caller must then stop streaming.
   */
  async reserve(): Promise<boolean> {
    if (this.nextId < this.reservedUntil) return true;
    await this.flush(true);
    return this.nextId < this.reservedUntil;
  }

  /** Records one event and returns the id it was stored under. */
  add(event: ChatEvent): number {
    const id = this.nextId++;
    this.pending.push({ id, data: JSON.stringify(event) });
    if (event.type === "text-delta") this.text += event.delta;
    if (event.type === "source") this.sources.set(event.index, { index: event.index, url: event.url, title: event.title });
    if (event.type === "finish") this.incomplete = event.reason === "error" || event.reason === "aborted";
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_MS);
    return id;
  }

  /** Writes what is pending (serialized after earlier flushes, so ids arrive in order); `force` appends even nothing, to renew the reservation. */
  flush(force = false): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 && !force) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        const live = await this.sink.appendEvents(this.turnId, batch);
        if (typeof live === "number") this.reservedUntil = Math.max(this.reservedUntil, live);
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
      await this.sink.finishTurn(this.turnId, { content: this.text, sources, incomplete: this.incomplete });
    } catch (err) {
      this.onError(err);
    }
  }
}
