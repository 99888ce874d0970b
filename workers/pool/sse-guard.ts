/**
 * Watching an OpenAI server-sent-events answer on its way through the pool.
 * - `awaitFirstToken` reads until the first generated text (the role-only opening chunk holds
 *   none): a replica that fails before it can be swapped for another, and the client never
 *   sees anything twice, because nothing was passed on yet.
 * - `guardStream` passes the rest on and turns a stream that breaks off (a read error, or an
 *   end without `data: [DONE]`) into a stream error: a cut answer is never a quiet end that
 *   looks like a finished one. Error frames the server itself sends pass through untouched.
 */

/** Splits an SSE byte stream into the `data` payloads of its complete events. */
export class SseScanner {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  sawDone = false;

  push(chunk: Uint8Array): string[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const events = this.buffer.split(/\r?\n\r?\n/);
    this.buffer = events.pop() ?? "";
    const payloads: string[] = [];
    for (const event of events) {
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data === "") continue;
      if (data === "[DONE]") this.sawDone = true;
      payloads.push(data);
    }
    return payloads;
  }
}

type PayloadKind = { kind: "token" } | { kind: "done" } | { kind: "error"; code: string | null } | { kind: "other" };

function classify(payload: string): PayloadKind {
  if (payload === "[DONE]") return { kind: "done" };
  let frame: unknown;
  try {
    frame = JSON.parse(payload);
  } catch {
    return { kind: "other" };
  }
  if (typeof frame !== "object" || frame === null) return { kind: "other" };
  if ("error" in frame) {
    const error = frame.error;
    const code = typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : null;
    return { kind: "error", code };
  }
  const choices = "choices" in frame && Array.isArray(frame.choices) ? (frame.choices as unknown[]) : [];
  const hasText = choices.some((choice) => {
    if (typeof choice !== "object" || choice === null) return false;
    const delta = "delta" in choice ? choice.delta : undefined;
    const content = typeof delta === "object" && delta !== null && "content" in delta ? delta.content : undefined;
    const text = "text" in choice ? choice.text : undefined;
    return (typeof content === "string" && content !== "") || (typeof text === "string" && text !== "");
  });
  return hasText ? { kind: "token" } : { kind: "other" };
}

export type FirstTokenOutcome =
  /** Text arrived: the answer has started. */
  | { kind: "token"; replay: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array>; scanner: SseScanner }
  /** The stream ended properly before any text (an empty answer). */
  | { kind: "complete"; replay: Uint8Array[] }
  /** The server sent an error frame before any text. */
  | { kind: "error-frame"; replay: Uint8Array[]; code: string | null }
  /** The stream broke before any text. */
  | { kind: "broken"; error: unknown };

export async function awaitFirstToken(body: ReadableStream<Uint8Array>): Promise<FirstTokenOutcome> {
  const reader = body.getReader();
  const scanner = new SseScanner();
  const replay: Uint8Array[] = [];
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (error) {
      return { kind: "broken", error };
    }
    if (step.done) {
      return scanner.sawDone ? { kind: "complete", replay } : { kind: "broken", error: new Error("the answer stream ended before its first token") };
    }
    replay.push(step.value);
    for (const payload of scanner.push(step.value)) {
      const kind = classify(payload);
      if (kind.kind === "token") return { kind: "token", replay, reader, scanner };
      if (kind.kind === "error") {
        await reader.cancel().catch(() => undefined);
        return { kind: "error-frame", replay, code: kind.code };
      }
      if (kind.kind === "done") {
        await reader.cancel().catch(() => undefined);
        return { kind: "complete", replay };
      }
    }
  }
}

export type StreamEnd = { kind: "complete" } | { kind: "cancelled" } | { kind: "broken"; error: unknown };

/** The rest of an answer after its first token, with `replay` (what was read so far) in front. */
export function guardStream(
  replay: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
  scanner: SseScanner,
  onEnd: (end: StreamEnd) => void,
): ReadableStream<Uint8Array> {
  let ended = false;
  const end = (outcome: StreamEnd) => {
    if (ended) return;
    ended = true;
    onEnd(outcome);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of replay) controller.enqueue(chunk);
    },
    async pull(controller) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (error) {
        end({ kind: "broken", error });
        controller.error(new Error(`the engine's answer stream broke off mid-answer: ${error instanceof Error ? error.message : String(error)}`));
        return;
      }
      if (step.done) {
        if (scanner.sawDone) {
          end({ kind: "complete" });
          controller.close();
        } else {
          const error = new Error("the engine's answer stream ended mid-answer, without [DONE]");
          end({ kind: "broken", error });
          controller.error(error);
        }
        return;
      }
      scanner.push(step.value);
      controller.enqueue(step.value);
    },
    cancel(reason) {
      end({ kind: "cancelled" });
      return reader.cancel(reason);
    },
  });
}
