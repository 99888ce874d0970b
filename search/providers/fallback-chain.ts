/**
 * Several providers behind one: each query goes to the first provider that answers with results.
 * Failures (any SearchError, or an unexpected throw) move on to the next provider; a provider that
 * reported rate-limiting with Retry-After is skipped until that time has passed. When nothing
 * answers, the last failure is thrown (an empty answer is not an error unless asked).
 *
 * Time: with a `deadline` in the search options, each attempt gets an equal share of the time left
 * among the providers still to try (the first of two gets half, the last gets all that remains), through
 * its own abort signal and a race, so a provider that hangs, or ignores its signal, fails with a
 * `timeout` in time for the next one to answer before the caller's deadline.
 */
import type { SearchOptions, SearchProvider, SearchResult } from "../types";
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

/** One provider's attempt within `shareMs`: its own signal, and a race in case it ignores the signal. */
async function attempt(provider: SearchProvider, query: string, options: SearchOptions, shareMs: number): Promise<SearchResult[]> {
  if (!Number.isFinite(shareMs)) return provider.search(query, options);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const error = new SearchError({
          kind: "timeout",
          provider: provider.name,
          message: `${provider.name} did not answer within its ${Math.round(shareMs)} ms share of the deadline`,
        });
        controller.abort(error);
        reject(error);
      },
      Math.max(0, shareMs),
    );
  });
  try {
    return await Promise.race([provider.search(query, { ...options, signal: controller.signal }), expired]);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
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
      const ready = providers.filter((provider) => (coolingUntil.get(provider.name) ?? 0) <= now());
      for (const [position, provider] of ready.entries()) {
        if (searchOptions.signal?.aborted) break;
        const left = searchOptions.deadline === undefined ? Number.POSITIVE_INFINITY : searchOptions.deadline - now();
        if (left <= 0) break;
        try {
          const results = await attempt(provider, query, searchOptions, left / (ready.length - position));
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
