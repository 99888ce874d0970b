/**
 * Stop strings matched on the generated text, across token boundaries. Text that could be
 * the start of a stop string is held back until it is ruled out, so a stop string never leaks
 * into the output (vLLM's include_stop_str_in_output=false behaviour).
 */

export interface StopResult {
  /** Text safe to emit now. */
  text: string;
  stopped: boolean;
}

export class StopMatcher {
  private pending = "";

  constructor(private readonly stops: readonly string[]) {}

  push(delta: string): StopResult {
    this.pending += delta;
    let earliest = -1;
    for (const stop of this.stops) {
      const index = this.pending.indexOf(stop);
      if (index !== -1 && (earliest === -1 || index < earliest)) earliest = index;
    }
    if (earliest !== -1) {
      const text = this.pending.slice(0, earliest);
      this.pending = "";
      return { text, stopped: true };
    }
    const hold = this.longestPartialSuffix();
    const text = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text, stopped: false };
  }

  /** Release held-back text when generation ends for another reason. */
  flush(): string {
    const text = this.pending;
    this.pending = "";
    return text;
  }

  private longestPartialSuffix(): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, this.pending.length); length > longest; length--) {
        if (this.pending.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
