/**
 * Several providers behind one: each query goes to the first provider that answers with results.
 * Failures (any SearchError, or an unexpected throw) move on to the next provider; a provider that
 * reported rate-limiting with Retry-After is skipped until that time has passed. When nothing
 * answers, the last failure is thrown (an empty answer is not an error unless asked).
 */
import type { SearchProvider, SearchResult } from "../types";
import { dedupeResults } from "./normalize-results";
import { SearchError, isSearchError } from "./search-error";

export interface FallbackChainOptions {
  /** Throw a SearchError of kind "empty" when every provider answered with nothing (default false: return []). */
  emptyIsError?: boolean;
  now?: () => number;
  /** Observes each provider failure (for logs/metrics); the chain itself never swallows silently. */
  onProviderError?: (error: SearchError) => void;
}

function asSearchError(provider: string, error: unknown): SearchError {
  if (isSearchError(error)) return error;
  return new SearchError({ kind: "upstream", provider, message: `${provider} failed unexpectedly`, cause: error });
}

export function createFallbackChain(providers: readonly SearchProvider[], options: FallbackChainOptions = {}): SearchProvider {
  if (providers.length === 0) throw new SearchError({ kind: "config", provider: "chain", message: "a fallback chain needs at least one provider" });
  const now = options.now ?? Date.now;
  const coolingUntil = new Map<string, number>();
  return {
    name: providers.map((provider) => provider.name).join(">"),
    async search(query, searchOptions): Promise<SearchResult[]> {
      const failures: SearchError[] = [];
      let answeredEmpty = false;
      for (const provider of providers) {
        if ((coolingUntil.get(provider.name) ?? 0) > now()) continue;
        if (searchOptions.signal?.aborted) break;
        try {
          const results = await provider.search(query, searchOptions);
          if (results.length > 0) return dedupeResults(results);
          answeredEmpty = true;
        } catch (error) {
          const failure = asSearchError(provider.name, error);
          if (failure.kind === "rate-limited" && failure.retryAfterSeconds !== undefined)
            coolingUntil.set(provider.name, now() + failure.retryAfterSeconds * 1000);
          failures.push(failure);
          options.onProviderError?.(failure);
        }
      }
      if (answeredEmpty) {
        if (options.emptyIsError) throw new SearchError({ kind: "empty", provider: "chain", message: `no results for the query` });
        return [];
      }
      throw failures.at(-1) ?? new SearchError({ kind: "rate-limited", provider: "chain", message: "every provider is cooling down after a rate limit" });
    },
  };
}
