/**
 * Fits text into a token budget with the model's own counter. Counting over
 * HTTP is not free, so the cut point is estimated from the measured ratio and
 * re-checked a few times instead of searched token by token.
 */
import type { TokenCounter } from "../search/types";

export const TRUNCATION_MARKER = "\n[…]";

export async function truncateToTokens(text: string, budget: number, countTokens: TokenCounter): Promise<string> {
  if (budget <= 0 || text === "") return "";
  let tokens = await countTokens(text);
  if (tokens <= budget) return text;
  let cut = Math.floor((text.length * budget) / tokens);
  for (let attempt = 0; attempt < 6 && cut > 0; attempt += 1) {
    const candidate = text.slice(0, cut) + TRUNCATION_MARKER;
    tokens = await countTokens(candidate);
    if (tokens <= budget) return candidate;
    cut = Math.floor((cut * budget) / tokens * 0.95);
  }
  return "";
}
