/**
 * The model client's HTTP transport: one JSON POST to the model server with
 * the client's headers, its per-call timeout joined to the caller's signal,
 * and every failure mapped to a typed AgentError (transport errors, HTTP
 * statuses, the engine's refusal of attached media). Upstream bodies never
 * reach an error's public message except the engine's short media reason.
 */
import { z } from "zod";
import { AgentError, isAbortError } from "./errors";
import { safeParseJSON } from "./json";

export interface ModelTransportOptions {
  fetch: typeof fetch;
  apiKey?: string;
  /** Timeout of one call (default 60 s). */
  timeoutMs?: number;
}

export interface ModelTransport {
  /** Headers every call sends (content type, Bearer key). */
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  /** POSTs `body` as JSON; resolves to a 2xx response or throws AgentError. */
  post(url: string, body: unknown, signal: AbortSignal | undefined, hasMedia?: boolean): Promise<Response>;
}

const engineErrorSchema = z.object({ error: z.object({ message: z.string() }) });

/** Longest engine message passed on to the client. */
const MAX_REFUSAL_CHARS = 300;

export function createModelTransport(options: ModelTransportOptions): ModelTransport {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  return {
    headers,
    timeoutMs,
    async post(url, body, signal, hasMedia = false) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await options.fetch(url, { method: "POST", headers, body: JSON.stringify(body), signal: combined });
      } catch (error) {
        throw toTransportError(error, signal, timeout);
      }
      if (!response.ok) throw await refusalError(response, hasMedia);
      return response;
    },
  };
}

/** The AgentError for a non-2xx answer of the model server. */
async function refusalError(response: Response, hasMedia: boolean): Promise<AgentError> {
  if (response.status === 400 && hasMedia) {
    const json = safeParseJSON(await response.text().catch(() => ""));
    const refusal = json.ok ? engineErrorSchema.safeParse(json.value) : undefined;
    return new AgentError("media-rejected", {
      detail: `model server answered HTTP 400`,
      ...(refusal?.success ? { publicDetail: refusal.data.error.message.slice(0, MAX_REFUSAL_CHARS) } : {}),
    });
  }
  await response.body?.cancel().catch(() => undefined);
  return new AgentError("model-unavailable", {
    retryable: response.status >= 500 || response.status === 429,
    detail: `model server answered HTTP ${response.status}`,
  });
}

/** A failed fetch or body read: the caller's abort, the timeout, or an unreachable server. */
export function toTransportError(error: unknown, callerSignal: AbortSignal | undefined, timeout: AbortSignal | undefined): AgentError {
  if (callerSignal?.aborted) return new AgentError("aborted", { cause: error });
  if (timeout?.aborted || (isAbortError(error) && !callerSignal?.aborted) || (error as { name?: unknown })?.name === "TimeoutError") {
    return new AgentError("model-timeout", { retryable: true, cause: error });
  }
  return new AgentError("model-unavailable", { retryable: true, cause: error });
}
