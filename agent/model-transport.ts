/**
 * The model client's HTTP transport: one JSON POST to the model server with
 * the client's headers, its per-call timeout joined to the caller's signal,
 * and every failure mapped to a typed AgentError by what the server said:
 * a prompt over the context (`context-too-long`), media it cannot take
 * (`media-rejected`), another refusal (`model-rejected`), a full queue or an
 * overload (`model-busy`, with its `Retry-After`), its own deadline
 * (`model-timeout`), anything else (`model-unavailable`). Upstream bodies never
 * reach an error's public message except the engine's short, public reason
 * for a 400 (OpenAI-compatible servers word those for the client).
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

const engineErrorSchema = z.object({ error: z.object({ message: z.string(), code: z.string().nullish(), param: z.string().nullish() }) });

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
  const detail = `model server answered HTTP ${response.status}`;
  if (response.status === 429 || response.status === 503) {
    await response.body?.cancel().catch(() => undefined);
    const retryAfterSeconds = retryAfter(response.headers.get("retry-after"));
    return new AgentError("model-busy", { retryable: true, detail, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
  }
  if (response.status === 408) {
    await response.body?.cancel().catch(() => undefined);
    return new AgentError("model-timeout", { retryable: true, detail });
  }
  if (response.status !== 400) {
    await response.body?.cancel().catch(() => undefined);
    return new AgentError("model-unavailable", { retryable: response.status >= 500, detail });
  }
  const refusal = await readEngineError(response);
  const reason = refusal ? { publicDetail: refusal.message.slice(0, MAX_REFUSAL_CHARS) } : {};
  if (refusal?.code === "context_length_exceeded") return new AgentError("context-too-long", { detail, ...reason, param: "messages" });
  if (hasMedia) return new AgentError("media-rejected", { detail, ...reason, param: "messages" });
  return new AgentError("model-rejected", { detail, ...reason, ...(refusal?.param ? { param: refusal.param } : {}) });
}

/** The `{error: {message, code, param}}` body of an OpenAI-compatible refusal, when it has one. */
export async function readEngineError(response: Response): Promise<{ message: string; code?: string; param?: string } | undefined> {
  const json = safeParseJSON(await response.text().catch(() => ""));
  const parsed = json.ok ? engineErrorSchema.safeParse(json.value) : undefined;
  if (!parsed?.success) return undefined;
  const { message, code, param } = parsed.data.error;
  return { message, ...(code ? { code } : {}), ...(param ? { param } : {}) };
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
function retryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** A failed fetch or body read: the caller's abort, the timeout, or an unreachable server. */
export function toTransportError(error: unknown, callerSignal: AbortSignal | undefined, timeout: AbortSignal | undefined): AgentError {
  if (callerSignal?.aborted) return new AgentError("aborted", { cause: error });
  if (timeout?.aborted || (isAbortError(error) && !callerSignal?.aborted) || (error as { name?: unknown })?.name === "TimeoutError") {
    return new AgentError("model-timeout", { retryable: true, cause: error });
  }
  return new AgentError("model-unavailable", { retryable: true, cause: error });
}
