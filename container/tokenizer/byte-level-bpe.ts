/**
 * Deterministic byte-level BPE trainer that emits a Hugging Face `tokenizer.json`.
 * Used only to make the demo/test models' tokenizer: same corpus and merge count give the
 * same file, byte for byte. Ties between equally frequent pairs break lexicographically.
 */

/** GPT-2's reversible byte -> printable character table used by ByteLevel tokenizers. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let code = 33; code <= 126; code++) printable.push(code);
  for (let code = 161; code <= 172; code++) printable.push(code);
  for (let code = 174; code <= 255; code++) printable.push(code);
  const table: string[] = new Array<string>(256);
  let extra = 0;
  for (let byte = 0; byte < 256; byte++) {
    if (printable.includes(byte)) table[byte] = String.fromCodePoint(byte);
    else table[byte] = String.fromCodePoint(256 + extra++);
  }
  return table;
}

/** The GPT-2 pre-tokenizer split, which HF's ByteLevel pre-tokenizer applies with use_regex. */
const PRE_TOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface TrainedBpe {
  vocab: Map<string, number>;
  merges: [string, string][];
}

export function trainByteLevelBpe(corpus: string, maxMerges: number): TrainedBpe {
  const table = bytesToUnicode();
  const encoder = new TextEncoder();
  const wordCounts = new Map<string, number>();
  for (const match of corpus.matchAll(PRE_TOKENIZE)) {
    const word = Array.from(encoder.encode(match[0]), (byte) => table[byte] ?? "").join("");
    wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  }
  const words = [...wordCounts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([word, count]) => ({ symbols: Array.from(word), count }));
  const vocab = new Map<string, number>();
  for (const [byte, symbol] of table.entries()) vocab.set(symbol, byte);
  const merges: [string, string][] = [];
  while (merges.length < maxMerges) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let index = 0; index + 1 < symbols.length; index++) {
        const key = `${symbols[index]}\u0000${symbols[index + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let bestKey = "";
    let bestCount = 1;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && bestKey !== "" && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey === "") break;
    const [left = "", right = ""] = bestKey.split("\u0000");
    const merged = left + right;
    merges.push([left, right]);
    if (!vocab.has(merged)) vocab.set(merged, vocab.size);
    for (const word of words) {
      const next: string[] = [];
      for (let index = 0; index < word.symbols.length; index++) {
        if (word.symbols[index] === left && word.symbols[index + 1] === right) {
          next.push(merged);
          index++;
        } else next.push(word.symbols[index] ?? "");
      }
      word.symbols = next;
    }
  }
  return { vocab, merges };
}

export interface AddedTokenSpec {
  content: string;
  special: boolean;
}

/** Serialize a trained BPE plus added tokens as a HF tokenizers `tokenizer.json` object. */
export function tokenizerJson(bpe: TrainedBpe, addedTokens: readonly AddedTokenSpec[]): { json: object; addedIds: Map<string, number> } {
  const addedIds = new Map<string, number>();
  const added = addedTokens.map((token, index) => {
    const id = bpe.vocab.size + index;
    addedIds.set(token.content, id);
    return { id, content: token.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: token.special };
  });
  const json = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab),
      merges: bpe.merges.map(([left, right]) => `${left} ${right}`),
    },
  };
  return { json, addedIds };
}
