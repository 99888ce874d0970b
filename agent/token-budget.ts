/**
 * Fits text into a token budget with the model's own counter. Counting over
 * HTTP is not free (and each call is a Workers subrequest), so text that the
 * conservative estimate already fits is returned without asking, and the cut
 * point of longer text is estimated from the measured ratio and re-checked a
 * few times instead of searched token by token.
 */
import type { TokenCounter } from "../search/types";
import { estimateTokens } from "../search/token-estimate";

export const TRUNCATION_MARKER = "\n[…]";

export async function truncateToTokens(text: string, budget: number, countTokens: TokenCounter): Promise<string> {
  if (budget <= 0 || text === "") return "";
  // Ordinary text that the conservative estimate fits needs no tokenizer call.
  if (estimateTokens(text) <= budget) return text;
  let tokens = await countTokens(text);
  if (tokens <= budget) return text;
  let cut = Math.floor(((text.length * budget) / tokens) * 0.97);
  for (let attempt = 0; attempt < 6 && cut > 0; attempt += 1) {
    const candidate = text.slice(0, cut) + TRUNCATION_MARKER;
    tokens = await countTokens(candidate);
    if (tokens <= budget) return candidate;
    cut = Math.floor(((cut * budget) / tokens) * 0.95);
  }
  return "";
}
