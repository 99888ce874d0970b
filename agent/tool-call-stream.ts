/**
 * Splits the model's raw streamed text into answer text and at most one tool
 * call (`<|function_start|>{json}<|function_end|>`, reference §3.2). Special
 * tokens may arrive split across chunks, so a tail that could still become a
 * special token is held back until the next chunk decides. Text before the
 * call is passed through as text; anything after `<|function_end|>` or an
 * end-of-turn token is discarded, like the reference.
 */
import { ANSWER_END_TOKENS, FUNCTION_END, FUNCTION_START, TURN_END } from "./special-tokens";

export type StreamPart =
  | { type: "text"; text: string }
  /** `<|function_start|>` was seen: the rest up to `<|function_end|>` is the call. */
  | { type: "tool-call-start" }
  | { type: "tool-call"; raw: string; terminated: boolean };

const WATCHED_IN_TEXT = [FUNCTION_START, ...ANSWER_END_TOKENS];

export class ToolCallStreamParser {
  private mode: "text" | "call" | "done" = "text";
  private buffer = "";

  get isDone(): boolean {
    return this.mode === "done";
  }

  /** Between `<|function_start|>` and `<|function_end|>`. */
  get inCall(): boolean {
    return this.mode === "call";
  }

  push(chunk: string): StreamPart[] {
    if (this.mode === "done") return [];
    this.buffer += chunk;
    return this.mode === "text" ? this.drainText() : this.drainCall();
  }

  /** The stream ended: release held text, or hand over an unterminated call. */
  finish(): StreamPart[] {
    const parts: StreamPart[] = [];
    if (this.mode === "text" && this.buffer !== "") parts.push({ type: "text", text: this.buffer });
    if (this.mode === "call") parts.push({ type: "tool-call", raw: this.buffer.trim(), terminated: false });
    this.buffer = "";
    this.mode = "done";
    return parts;
  }

  private drainText(): StreamPart[] {
    const hit = earliest(this.buffer, WATCHED_IN_TEXT);
    if (hit) {
      const parts: StreamPart[] = [];
      const before = this.buffer.slice(0, hit.at);
      if (before !== "") parts.push({ type: "text", text: before });
      const rest = this.buffer.slice(hit.at + hit.token.length);
      this.buffer = "";
      if (hit.token !== FUNCTION_START) {
        this.mode = "done";
        return parts;
      }
      this.mode = "call";
      parts.push({ type: "tool-call-start" });
      return [...parts, ...this.push(rest)];
    }
    const held = heldTail(this.buffer);
    const text = this.buffer.slice(0, this.buffer.length - held);
    this.buffer = this.buffer.slice(this.buffer.length - held);
    return text === "" ? [] : [{ type: "text", text }];
  }

  private drainCall(): StreamPart[] {
    const hit = earliest(this.buffer, [FUNCTION_END, TURN_END]);
    if (!hit) return [];
    const raw = this.buffer.slice(0, hit.at).trim();
    this.buffer = "";
    this.mode = "done";
    return [{ type: "tool-call", raw, terminated: hit.token === FUNCTION_END }];
  }
}

function earliest(text: string, tokens: readonly string[]): { at: number; token: string } | undefined {
  let best: { at: number; token: string } | undefined;
  for (const token of tokens) {
    const at = text.indexOf(token);
    if (at >= 0 && (!best || at < best.at)) best = { at, token };
  }
  return best;
}

/** Length of the longest suffix of `text` that is a proper prefix of a watched token. */
function heldTail(text: string): number {
  const longest = Math.max(...WATCHED_IN_TEXT.map((token) => token.length)) - 1;
  for (let length = Math.min(longest, text.length); length > 0; length -= 1) {
    const tail = text.slice(text.length - length);
    if (WATCHED_IN_TEXT.some((token) => token.startsWith(tail))) return length;
  }
  return 0;
}
