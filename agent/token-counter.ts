/**
 * Token counting for the model client: vLLM-style `POST /tokenize` next to the
 * OpenAI base URL, cached per text, with the conservative estimate whenever
 * the server has no tokenizer endpoint or cannot be reached (after a transport
 * failure it is not asked again for a while: an engine that is down must not
 * cost one failed subrequest per counted string).
 */
import { z } from "zod";
import { estimateTokens } from "../search/token-estimate";
import { safeParseJSON } from "./json";

const TOKENIZE_RETRY_MS = 30_000;
const MAX_CACHED = 512;
const tokenizeSchema = z.object({ count: z.number().int().nonnegative() });

export interface TokenCounterOptions {
  tokenizeUrl: string;
  model: string;
  fetch: typeof fetch;
  headers: Record<string, string>;
  timeoutMs: number;
}

export function createTokenCounter(options: TokenCounterOptions): (text: string) => Promise<number> {
  let tokenizeAvailable = true;
  let tokenizeRetryAt = 0;
  const cache = new Map<string, number>();

  async function ask(text: string): Promise<number | undefined> {
    try {
      const response = await options.fetch(options.tokenizeUrl, {
        method: "POST",
        headers: options.headers,
        body: JSON.stringify({ model: options.model, prompt: text }),
        signal: AbortSignal.timeout(Math.min(options.timeoutMs, 10_000)),
      });
      const json = response.ok ? safeParseJSON(await response.text()) : undefined;
      const parsed = json?.ok ? tokenizeSchema.safeParse(json.value) : undefined;
      if (parsed?.success) return parsed.data.count;
      if (response.status === 404 || response.status === 405 || response.status === 501) tokenizeAvailable = false;
    } catch {
      // A tokenizer outage must not fail the answer: the estimate over-counts.
      tokenizeRetryAt = Date.now() + TOKENIZE_RETRY_MS;
    }
    return undefined;
  }

  return async (text) => {
    const cached = cache.get(text);
    if (cached !== undefined) return cached;
    const asked = tokenizeAvailable && Date.now() >= tokenizeRetryAt ? await ask(text) : undefined;
    const count = asked ?? estimateTokens(text);
    if (cache.size > MAX_CACHED) cache.clear();
    cache.set(text, count);
    return count;
  };
}
