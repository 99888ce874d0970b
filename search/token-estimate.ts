/**
 * The one token estimate of the codebase (agent budgets and search passages
 * alike), conservative, for servers without `/tokenize` (plain
 * OpenAI, an engine that is down) and for cheap "surely fits" checks. It
 * over-counts on ordinary text on purpose: ASCII letters and spaces at ~2.8
 * characters per token (BPE averages ~4 on prose), digits at 2 per token,
 * punctuation and symbols at 1 each, other BMP characters (CJK) at 1 each
 * (Megrez averages ~1.3 CJK characters per token) and astral characters
 * (emoji) at 3. Unusual text can still beat it, so every prompt that must fit
 * the context is finally measured with the real tokenizer when there is one.
 */

export function estimateTokens(text: string): number {
  let letters = 0;
  let digits = 0;
  let count = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 32 || code === 10 || code === 9) letters += 1;
    else if (code >= 48 && code <= 57) digits += 1;
    else if (code < 128) count += 1;
    else if (code > 0xffff) count += 3;
    else count += 1;
  }
  return count + Math.ceil(letters / 2.8) + Math.ceil(digits / 2);
}
