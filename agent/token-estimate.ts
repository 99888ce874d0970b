/**
 * A conservative token estimate for servers without `/tokenize` (plain
 * OpenAI, an engine that is down). It over-counts on purpose: ASCII at
 * ~2.8 characters per token (BPE averages ~4 on prose) and every other
 * character as a full token (Megrez averages ~1.3 CJK characters per token),
 * so budgets built on it never overflow the context.
 */

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const char of text) {
    if (char.charCodeAt(0) < 128) ascii += 1;
    else other += 1;
  }
  return Math.ceil(ascii / 2.8) + other;
}
