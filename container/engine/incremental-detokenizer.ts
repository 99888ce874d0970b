/**
 * Streaming detokenization that never emits a broken UTF-8 sequence: text is released only
 * when decoding the pending ids no longer ends in U+FFFD (an incomplete multi-byte char,
 * common with byte-level BPE and CJK). Same offsets scheme as vLLM's detokenizer.
 */
import type { TextCodec } from "./text-codec";

export class IncrementalDetokenizer {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(
    private readonly codec: TextCodec,
    private readonly skipSpecialTokens: boolean,
  ) {}

  /** Add one generated token; returns the newly completed text (possibly empty). */
  push(id: number): string {
    this.ids.push(id);
    const prefixText = this.codec.decode(this.ids.slice(this.prefixOffset, this.readOffset), this.skipSpecialTokens);
    const fullText = this.codec.decode(this.ids.slice(this.prefixOffset), this.skipSpecialTokens);
    if (fullText.length > prefixText.length && !fullText.endsWith("\uFFFD")) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return fullText.slice(prefixText.length);
    }
    return "";
  }

  /** Whatever is still held back at the end of generation (an unfinished char decodes as U+FFFD). */
  flush(): string {
    const prefixText = this.codec.decode(this.ids.slice(this.prefixOffset, this.readOffset), this.skipSpecialTokens);
    const fullText = this.codec.decode(this.ids.slice(this.prefixOffset), this.skipSpecialTokens);
    this.prefixOffset = this.readOffset = this.ids.length;
    return fullText.slice(prefixText.length);
  }
}
