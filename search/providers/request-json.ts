/**
 * The HTTP half every API provider shares: one request with a timeout and the caller's signal,
 * status codes classified into SearchError kinds (401/403 auth, 429 rate-limited with Retry-After,
 * 408/504 and our own timer timeout, other 5xx upstream), JSON parsed safely and validated with the
 * provider's minimal zod schema.
 */
import type { z } from "zod";
import { SearchError } from "./search-error";

export interface JsonRequest<Schema extends z.ZodType> {
  provider: string;
  fetch: typeof fetch;
  url: string;
  init: RequestInit;
  schema: Schema;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Extra status handling (e.g. SearXNG's 403 when JSON output is disabled). */
  classifyStatus?: (status: number) => SearchError | undefined;
  now?: () => number;
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function statusError(provider: string, response: Response, now: number): SearchError {
  const status = response.status;
  if (status === 401 || status === 403)
    return new SearchError({ kind: "auth", provider, status, message: `${provider} rejected the API key (HTTP ${status})` });
  if (status === 429) {
    const retryAfterSeconds = parseRetryAfter(response.headers.get("retry-after"), now);
    return new SearchError({
      kind: "rate-limited",
      provider,
      status,
      message: `${provider} rate limit reached`,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }
  if (status === 408 || status === 504) return new SearchError({ kind: "timeout", provider, status, message: `${provider} timed out (HTTP ${status})` });
  if (status === 402) return new SearchError({ kind: "rate-limited", provider, status, message: `${provider} quota exhausted (HTTP 402)` });
  return new SearchError({ kind: "upstream", provider, status, message: `${provider} failed with HTTP ${status}` });
}

export async function requestJson<Schema extends z.ZodType>(request: JsonRequest<Schema>): Promise<z.infer<Schema>> {
  const { provider } = request;
  const now = request.now ?? Date.now;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  const onAbort = (): void => controller.abort(request.signal?.reason);
  request.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    let response: Response;
    try {
      // Called unbound: workerd throws "Illegal invocation" when its fetch runs with another `this`.
      const fetchImpl = request.fetch;
      response = await fetchImpl(request.url, { ...request.init, signal: controller.signal });
    } catch (error) {
      if (timedOut) throw new SearchError({ kind: "timeout", provider, message: `${provider} did not answer within ${request.timeoutMs} ms`, cause: error });
      throw new SearchError({ kind: "upstream", provider, message: `${provider} request failed`, cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw request.classifyStatus?.(response.status) ?? statusError(provider, response, now());
    }
    let body: unknown;
    try {
      body = JSON.parse(await response.text());
    } catch (error) {
      if (timedOut) throw new SearchError({ kind: "timeout", provider, message: `${provider} response stalled`, cause: error });
      throw new SearchError({
        kind: "invalid-response",
        provider,
        status: response.status,
        message: `${provider} returned a body that is not JSON`,
        cause: error,
      });
    }
    const parsed = request.schema.safeParse(body);
    if (!parsed.success)
      throw new SearchError({
        kind: "invalid-response",
        provider,
        status: response.status,
        message: `${provider} response did not match the expected shape`,
        cause: parsed.error,
      });
    return parsed.data;
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener("abort", onAbort);
  }
}
