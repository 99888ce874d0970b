/**
 * The pool as a `fetch`: the engine client (agent/model-client.ts) is unchanged and sends its
 * requests here, so its typed errors stay what they were. Each request goes to the first
 * replica of its key's order (pool-router.ts). A failure before the first token — the
 * connection refused or reset, a 5xx, a busy or draining refusal (429/503), an error frame
 * or a broken stream before any text — is retried once on the next replica: nothing reached
 * the client yet, so nothing can be duplicated. After the first token the answer belongs to
 * that replica; if its stream dies, the client gets a stream error (sse-guard.ts), never a
 * silent retry. Every outcome feeds the replica's passive health (replica-health.ts). Each
 * request carries `x-affinity-key` (a hash of its key), for a proxy that balances in-cluster.
 */
import { hashHex } from "../stable-hash";
import type { EnginePool, PoolLog, WaitUntil } from "./engine-pool";
import { retryAfterMs } from "./health-probe";
import type { Replica } from "./replica";
import { recordBusy, recordFailure, recordSuccess } from "./replica-health";
import type { SharedPoolStore } from "./shared-pool-state";
import { awaitFirstToken, guardStream } from "./sse-guard";

/** Sent with every engine request: a hash of the affinity key (docs/engine.md, "GPU replicas on Kubernetes"). */
export const AFFINITY_HEADER = "x-affinity-key";
/** The first replica and one retry. */
const MAX_ATTEMPTS = 2;
/** Error codes an engine sends when it is full or draining: a refusal, not a fault. */
const BUSY_CODES = new Set(["queue_full", "engine_draining", "engine_starting"]);

export interface PoolFetchOptions {
  pool: EnginePool;
  replicas: readonly Replica[];
  /** The affinity key (affinity-key.ts): requests with the same key meet the same replica. */
  key: string;
  store: SharedPoolStore;
  waitUntil: WaitUntil;
  log?: PoolLog;
}

type Attempt = { kind: "answer"; response: Response } | { kind: "refused"; response: Response } | { kind: "failed"; error: unknown };

/**
 * @example
 *   const fetch = createPoolFetch({ pool, replicas, key: "session:abc", store, waitUntil });
 *   createHttpModelClient({ baseUrl: "http://engine.pool/v1", model: "megrez", fetch });
 */
export function createPoolFetch(options: PoolFetchOptions): typeof fetch {
  const byId = new Map(options.replicas.map((replica) => [replica.id, replica]));
  const ids = options.replicas.map((replica) => replica.id);
  return async (input, init) => {
    const request = await normalize(input, init);
    // For a single ingress in front of many replicas: an in-cluster proxy can hash on this.
    const headers = new Headers(request.init.headers);
    headers.set(AFFINITY_HEADER, hashHex(options.key));
    request.init = { ...request.init, headers };
    await options.pool.refresh(options.replicas, options.store, options.waitUntil, options.log);
    const order = options.pool.rank(options.key, ids).slice(0, MAX_ATTEMPTS);
    const initial: Attempt = { kind: "failed", error: new Error("the engine pool has no replica") };
    let last: Attempt = initial;
    for (const id of order) {
      const replica = byId.get(id);
      // A timed-out or cancelled request has no second attempt (its signal is spent).
      if (!replica || (last !== initial && request.init.signal?.aborted)) break;
      last = await attempt(options, replica, request.path, request.init);
      if (last.kind === "answer") return last.response;
    }
    if (last.kind === "failed") throw last.error;
    return last.response;
  };
}

async function normalize(input: RequestInfo | URL, init: RequestInit | undefined): Promise<{ path: string; init: RequestInit }> {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (!(input instanceof Request)) return { path: url.pathname + url.search, init: init ?? {} };
  // A Request's body can be read once; keep it as bytes so a retry can send it again.
  const body = input.body ? await input.arrayBuffer() : undefined;
  return {
    path: url.pathname + url.search,
    init: { method: input.method, headers: input.headers, signal: input.signal, ...(body ? { body } : {}), ...init },
  };
}

/** One attempt's bookkeeping: the replica's in-flight count and its passive health. */
class AttemptTracker {
  private settled = false;

  constructor(
    private readonly options: PoolFetchOptions,
    private readonly replica: Replica,
    private readonly init: RequestInit,
  ) {
    this.state.inflight += 1;
  }

  private get state() {
    return this.options.pool.state(this.replica.id);
  }

  /** The request no longer occupies the replica. */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.state.inflight -= 1;
  }

  succeeded(): void {
    recordSuccess(this.state, this.options.pool.now());
  }

  failed(why: string): void {
    const { pool, store, log, waitUntil } = this.options;
    const outcome = recordFailure(this.state, pool.now(), pool.settings);
    if (outcome === "ejected") {
      pool.report(this.replica.id, outcome, log, why);
      waitUntil(pool.publish(this.replica.id, store));
    }
  }

  busy(forMs: number): void {
    const { pool, store, waitUntil } = this.options;
    recordBusy(this.state, pool.now(), forMs);
    waitUntil(pool.publish(this.replica.id, store));
  }

  /** The caller cancelled (not a timeout): neither a replica fault nor a reason to retry. */
  callerAborted(): boolean {
    return this.init.signal?.aborted === true && !isTimeout(this.init.signal.reason);
  }

  /** A failure before anything reached the client: rethrown if the caller cancelled, else retryable. */
  broke(error: unknown, why: string): Attempt {
    this.settle();
    if (this.callerAborted()) throw error;
    this.failed(`${why}: ${describe(error)}`);
    return { kind: "failed", error };
  }
}

async function attempt(options: PoolFetchOptions, replica: Replica, path: string, init: RequestInit): Promise<Attempt> {
  const tracker = new AttemptTracker(options, replica, init);
  let response: Response;
  try {
    response = await replica.fetch(path, init);
  } catch (error) {
    return tracker.broke(error, "request failed");
  }
  if (response.status === 429 || response.status >= 500) {
    const body = await response.arrayBuffer().catch(() => new ArrayBuffer(0));
    tracker.settle();
    if (response.status === 429 || response.status === 503) tracker.busy(retryAfterMs(response, 1_000));
    else tracker.failed(`HTTP ${response.status}`);
    return { kind: "refused", response: new Response(body, response) };
  }
  if (!response.ok || !response.body) {
    // A client error (400 context too long, 404 model): the replica is fine, the answer is final.
    tracker.settle();
    tracker.succeeded();
    return { kind: "answer", response };
  }
  const streamed = (response.headers.get("content-type") ?? "").includes("text/event-stream");
  return streamed ? readStreamed(tracker, response, response.body) : readWhole(tracker, response);
}

/** An SSE answer: held until its first token (retryable before), then guarded to its end. */
async function readStreamed(tracker: AttemptTracker, response: Response, body: ReadableStream<Uint8Array>): Promise<Attempt> {
  let first: Awaited<ReturnType<typeof awaitFirstToken>>;
  try {
    first = await awaitFirstToken(body);
  } catch (error) {
    first = { kind: "broken", error };
  }
  if (first.kind === "broken") return tracker.broke(first.error, "stream broke before the first token");
  if (first.kind === "error-frame") {
    tracker.settle();
    if (first.code !== null && BUSY_CODES.has(first.code)) tracker.busy(1_000);
    else tracker.failed(`error frame before the first token (${first.code ?? "no code"})`);
    return { kind: "refused", response: new Response(concat(first.replay), response) };
  }
  tracker.succeeded();
  if (first.kind === "complete") {
    tracker.settle();
    return { kind: "answer", response: new Response(concat(first.replay), response) };
  }
  const guarded = guardStream(first.replay, first.reader, first.scanner, (end) => {
    tracker.settle();
    if (end.kind === "broken") tracker.failed(`stream broke mid-answer: ${describe(end.error)}`);
  });
  return { kind: "answer", response: new Response(guarded, response) };
}

/**
 * A whole-body answer: nothing reaches the client before the whole body, so a body cut
 * short is a failure before the first token too.
 */
async function readWhole(tracker: AttemptTracker, response: Response): Promise<Attempt> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return tracker.broke(error, "body broke off");
  }
  tracker.settle();
  if ((response.headers.get("content-type") ?? "").includes("json") && !parsesAsJson(text)) {
    tracker.failed("body is not complete JSON");
    return { kind: "failed", error: new Error("the engine's answer was cut short (incomplete JSON)") };
  }
  tracker.succeeded();
  return { kind: "answer", response: new Response(text, response) };
}

function isTimeout(reason: unknown): boolean {
  return typeof reason === "object" && reason !== null && "name" in reason && reason.name === "TimeoutError";
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
