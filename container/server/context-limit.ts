/**
 * Refuses input that cannot fit the model's context before the engine encodes all of it: a chat message
 * of a megabyte is a `400 context_length_exceeded` after about `maxModelLen` tokens of counting
 * (TextCodec.surelyExceeds), not a full encode (or, before, a stack overflow and a 500).
 */
import type { Engine } from "../engine/create-engine";
import { EngineError } from "../engine/engine-errors";

export function refuseOverlongInput(engine: Engine, texts: readonly string[], param: string): void {
  if (!engine.codec.surelyExceeds(texts, engine.maxModelLen)) return;
  throw new EngineError(
    "context_length_exceeded",
    `This model's maximum context length is ${engine.maxModelLen} tokens, and the ${param} use more than that.`,
    param,
  );
}
