/**
 * Rewrites the model's `[citation:N]` markers while the answer streams:
 * a valid N becomes `[N]` plus a `citation` event carrying its [start, end)
 * offsets (UTF-16 code units) into the concatenated answer text; an N that is
 * not a citable source is removed and reported with `citation-dropped`,
 * never clamped to some other source (the reference clamped). Also accepts
 * the `[[citation:N]]` and `[ citation:N]` variants the model copies from the
 * context format. A tail that may still become a marker is held back.
 */
import type { ChatEvent } from "./events";

export interface CitableSource {
  index: number;
  url: string;
  title: string;
}

const MARKER = /\[(\[?)\s*citation\s*:\s*(\d{1,4})\s*\]/gi;
const MAX_HELD = 24;

export class CitationRewriter {
  private held = "";
  private offset: number;
  private swallowBracket = false;

  constructor(
    private sources: ReadonlyMap<number, CitableSource>,
    private knownIndexes: ReadonlySet<number> = new Set(),
    startOffset = 0,
  ) {
    this.offset = startOffset;
  }

  /** Length of the answer text emitted so far. */
  get textLength(): number {
    return this.offset;
  }

  /** The citable set changes after each search round. */
  setSources(sources: ReadonlyMap<number, CitableSource>, knownIndexes: ReadonlySet<number>): void {
    this.sources = sources;
    this.knownIndexes = knownIndexes;
  }

  push(text: string): ChatEvent[] {
    let input = this.held + text;
    this.held = "";
    if (this.swallowBracket && input !== "") {
      if (input.startsWith("]")) input = input.slice(1);
      this.swallowBracket = false;
    }
    const open = input.lastIndexOf("[");
    if (open >= 0 && !input.includes("]", open) && input.length - open <= MAX_HELD) {
      this.held = input.slice(open);
      input = input.slice(0, open);
    }
    return this.rewrite(input);
  }

  finish(): ChatEvent[] {
    const rest = this.held;
    this.held = "";
    return this.rewrite(rest);
  }

  private rewrite(input: string): ChatEvent[] {
    const events: ChatEvent[] = [];
    let pending = "";
    let last = 0;
    for (const match of input.matchAll(MARKER)) {
      pending += input.slice(last, match.index);
      last = match.index + match[0].length;
      const cited = Number(match[2]);
      let doubled = match[1] === "[";
      if (doubled && input[last] === "]") {
        last += 1;
        doubled = false;
      }
      if (doubled && last === input.length) this.swallowBracket = true;
      const source = this.sources.get(cited);
      if (!source) {
        // "fact [citation:9]." must not leave "fact ." behind.
        if (/^[\s.,;:!?。，；：！？)]/.test(input.slice(last)) || last === input.length) pending = pending.replace(/[ \t]+$/, "");
        events.push(...this.flush(pending));
        pending = "";
        events.push({ type: "citation-dropped", cited, reason: this.knownIndexes.has(cited) ? "not-citable" : "out-of-range" });
        continue;
      }
      const marker = `[${cited}]`;
      const start = this.offset + pending.length;
      pending += marker;
      events.push(...this.flush(pending));
      pending = "";
      events.push({ type: "citation", index: cited, url: source.url, title: source.title, start, end: start + marker.length });
    }
    pending += input.slice(last);
    events.push(...this.flush(pending));
    return events;
  }

  private flush(text: string): ChatEvent[] {
    if (text === "") return [];
    this.offset += text.length;
    return [{ type: "text-delta", delta: text }];
  }
}
