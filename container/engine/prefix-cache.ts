/**
 * Automatic prefix caching: the KV cache of recent prompts, kept so that a new prompt that
 * starts with the same tokens (the next turn of a conversation, the agent's answer call after
 * its search decision, page summaries sharing their instructions) prefills only what is new.
 * Exact: a cached position holds the same keys and values the full prefill would compute.
 * Bounded by bytes; least recently used entries go first.
 */
import type { BatchDecoder, BatchKv } from "./batch-decoder";

interface Entry<K extends BatchKv> {
  tokens: readonly number[];
  kv: K;
  lastUsed: number;
}

export interface PrefixHit<K extends BatchKv> {
  /** One-row batch holding the first `length` tokens of the prompt. */
  kv: K;
  length: number;
}

/** Shorter shared prefixes are cheaper to prefill again than to copy. */
const MIN_PREFIX_TOKENS = 16;

function sharedLength(left: readonly number[], right: readonly number[]): number {
  const limit = Math.min(left.length, right.length);
  let index = 0;
  while (index < limit && left[index] === right[index]) index++;
  return index;
}

export class PrefixCache<K extends BatchKv> {
  private readonly entries: Entry<K>[] = [];
  private bytes = 0;
  private clock = 0;

  constructor(
    private readonly decoder: Pick<BatchDecoder<K>, "prefixKv" | "kvBytesPerToken">,
    private readonly maxBytes: number,
  ) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /**
   * The longest cached prefix of `promptIds`, leaving at least one token to prefill (the step
   * that yields the first logits), or null when none reaches MIN_PREFIX_TOKENS.
   */
  lookup(promptIds: readonly number[]): PrefixHit<K> | null {
    let best: { entry: Entry<K>; length: number } | null = null;
    for (const entry of this.entries) {
      const length = Math.min(sharedLength(entry.tokens, promptIds), promptIds.length - 1);
      if (length >= MIN_PREFIX_TOKENS && length > (best?.length ?? 0)) best = { entry, length };
    }
    if (!best) return null;
    best.entry.lastUsed = ++this.clock;
    return { kv: this.decoder.prefixKv(best.entry.kv, 0, best.length), length: best.length };
  }

  /**
   * Whether `insert` would store this prompt (so a caller whose KV lives elsewhere copies it out only then); a
   * prompt already covered by an entry refreshes that entry instead.
   */
  wants(promptIds: readonly number[]): boolean {
    if (!this.enabled || promptIds.length < MIN_PREFIX_TOKENS) return false;
    const same = this.entries.find((entry) => entry.tokens.length >= promptIds.length && sharedLength(entry.tokens, promptIds) === promptIds.length);
    if (same) {
      same.lastUsed = ++this.clock;
      return false;
    }
    return promptIds.length * this.decoder.kvBytesPerToken <= this.maxBytes;
  }

  /** Keep row `row` of `kv` (a prompt's whole cache after its prefill) under its tokens. */
  insert(promptIds: readonly number[], kv: K, row: number): void {
    if (!this.wants(promptIds)) return;
    const entry: Entry<K> = { tokens: [...promptIds], kv: this.decoder.prefixKv(kv, row, promptIds.length), lastUsed: ++this.clock };
    // An entry that is a prefix of the new one is now redundant.
    for (let index = this.entries.length - 1; index >= 0; index--) {
      const old = this.entries[index];
      if (old && old.tokens.length <= promptIds.length && sharedLength(old.tokens, promptIds) === old.tokens.length) this.remove(index);
    }
    this.entries.push(entry);
    this.bytes += entry.kv.byteLength;
    while (this.bytes > this.maxBytes) this.evictOldest();
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.length, bytes: this.bytes };
  }

  private evictOldest(): void {
    let oldest = 0;
    this.entries.forEach((entry, index) => {
      if (entry.lastUsed < (this.entries[oldest]?.lastUsed ?? Infinity)) oldest = index;
    });
    this.remove(oldest);
  }

  private remove(index: number): void {
    const [removed] = this.entries.splice(index, 1);
    if (removed) this.bytes -= removed.kv.byteLength;
  }
}
