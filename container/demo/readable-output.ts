/**
 * Makes the demo model's random text readable noise: the lm_head columns of tokens that are
 * not complete, printable UTF-8 (lone bytes of a multi-byte character, control characters)
 * and of added tokens other than eos are zeroed, so their logits sit at 0 while the others
 * spread around it with a std of about 4 (see random-weights.ts): they practically never win.
 * Without this a byte-level random model streams mostly U+FFFD and control characters.
 */
import type { LlamaDims } from "../model/llama-dims";
import { bytesToUnicode } from "../tokenizer/byte-level-bpe";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
// Control characters other than newline and tab make unreadable output.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

function isReadable(token: string, byteOf: ReadonlyMap<string, number>): boolean {
  const bytes: number[] = [];
  for (const symbol of token) {
    const byte = byteOf.get(symbol);
    if (byte === undefined) return false;
    bytes.push(byte);
  }
  try {
    return !CONTROL.test(strictUtf8.decode(Uint8Array.from(bytes)));
  } catch {
    return false;
  }
}

/** Ids of BPE vocabulary tokens that decode to complete printable text. */
export function readableTokenIds(vocab: ReadonlyMap<string, number>): Set<number> {
  const byteOf = new Map(bytesToUnicode().map((symbol, byte) => [symbol, byte]));
  const readable = new Set<number>();
  for (const [token, id] of vocab) if (isReadable(token, byteOf)) readable.add(id);
  return readable;
}

/** Zero every lm_head column ([hidden, vocab] layout) whose id is not in `keep`. */
export function suppressUnreadableTokens(lmHead: Float32Array, dims: LlamaDims, keep: ReadonlySet<number>): void {
  for (let token = 0; token < dims.vocabSize; token++) {
    if (keep.has(token)) continue;
    for (let row = 0; row < dims.hiddenSize; row++) lmHead[row * dims.vocabSize + token] = 0;
  }
}
