/**
 * Webhook signing and one delivery attempt, through the outbound-URL guard (search/url-guard). The signature scheme (documented
 * with a verification recipe in docs/jobs.md):
 *
 *   Megrez-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The timestamp is inside the signed string, so a receiver that rejects old
 * timestamps also rejects replays. Every attempt is signed afresh with its own
 * timestamp; `Megrez-Delivery` stays the same across retries so receivers can
 * deduplicate.
 */
import { checkOutboundUrl } from "../../search/url-guard";

export const SIGNATURE_HEADER = "Megrez-Signature";
export const DELIVERY_HEADER = "Megrez-Delivery";
export const EVENT_HEADER = "Megrez-Event";
/** What a delivery announces: a new digest, or a run that failed for good. */
export const webhookEvents = ["digest.created", "run.failed"] as const;
export type WebhookEvent = (typeof webhookEvents)[number];

const encoder = new TextEncoder();

/** Hex HMAC-SHA256 of `<timestamp>.<body>`. */
export async function signPayload(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${body}`));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function signatureHeader(secret: string, timestamp: number, body: string): Promise<string> {
  return `t=${timestamp},v1=${await signPayload(secret, timestamp, body)}`;
}

export type AttemptResult =
  | { ok: true; httpStatus: number }
  /** `retryable` false: the receiver said no for good (a 4xx other than 408/429). */
  | { ok: false; httpStatus: number | null; error: string; retryable: boolean };

export interface SendInput {
  url: string;
  secret: string;
  deliveryId: string;
  event: WebhookEvent;
  payload: string;
  now: number;
  timeoutMs: number;
  fetch: (request: Request) => Promise<Response>;
}

/**
 * Sends one signed POST; never throws. The URL passes the outbound-URL guard again at every attempt
 * (a job stored before a rule was added is held to today's rules); a refused URL fails for good.
 */
export async function sendWebhook(input: SendInput): Promise<AttemptResult> {
  const verdict = checkOutboundUrl(input.url);
  if (!verdict.ok || verdict.url.protocol !== "https:") {
    const why = verdict.ok ? "only https:// webhooks are sent" : verdict.detail;
    return { ok: false, httpStatus: null, error: `webhook URL refused by the outbound-URL guard: ${why}`.slice(0, 300), retryable: false };
  }
  const timestamp = Math.floor(input.now / 1000);
  const request = new Request(verdict.url, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/json",
      "user-agent": "megrez-edge-jobs/1",
      [SIGNATURE_HEADER]: await signatureHeader(input.secret, timestamp, input.payload),
      [DELIVERY_HEADER]: input.deliveryId,
      [EVENT_HEADER]: input.event,
    },
    body: input.payload,
    signal: AbortSignal.timeout(input.timeoutMs),
  });
  let response: Response;
  try {
    response = await input.fetch(request);
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return { ok: false, httpStatus: null, error: timedOut ? `no answer within ${input.timeoutMs} ms` : `network error: ${errorText(err)}`, retryable: true };
  }
  // The body is not needed; cancel it so the connection is released.
  await response.body?.cancel().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return { ok: true, httpStatus: response.status };
  // Redirects are not followed (the signature is bound to the configured URL) and count as final.
  const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
  return { ok: false, httpStatus: response.status, error: `receiver answered HTTP ${response.status}`, retryable };
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 200);
}
