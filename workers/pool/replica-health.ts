/**
 * What the pool knows about one engine replica, and how that changes. Passive signals (a
 * request that failed or was refused) and active ones (a /health probe) feed one small state
 * machine:
 * - `failures` consecutive failures eject the replica for `ejectMs` (doubling on each repeat
 *   ejection, up to 8×); with active probes on, only a successful probe re-admits it, without
 *   them it comes back on probation (one more failure ejects it again);
 * - a replica that says it is busy or draining (429/503, /health 503) is skipped until the
 *   next probe says otherwise — a refusal, not a fault, so it never counts toward ejection;
 * - the last /health snapshot gives its load (queue depth, running sequences, batch size).
 * Pure data and functions of `now`: the same in workerd, in Node and in tests.
 */

export interface PoolSettings {
  /** Waiting requests (estimated) at which a replica counts as overloaded and a key spills past it. */
  spillAt: number;
  /** Consecutive failures that eject a replica. */
  ejectAfter: number;
  /** First ejection's length; each consecutive ejection doubles it (at most 8×). */
  ejectMs: number;
  /** Active /health probe interval; 0 = passive health only. */
  probeMs: number;
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = { spillAt: 4, ejectAfter: 3, ejectMs: 30_000, probeMs: 5_000 };

/** What one /health answer said about load (fields a plain OpenAI server lacks are null). */
export interface LoadSnapshot {
  queueDepth: number;
  running: number;
  maxBatch: number | null;
  kvFreeBytes: number | null;
  prefixCacheBytes: number | null;
}

/** The part of a replica's state that isolates share (workers/pool/shared-pool-state.ts). */
export interface SharedReplicaRecord {
  /** When this record was last changed; the newer record wins. */
  updatedAt: number;
  /** 0 = admitted; otherwise ejected until then (and, with probes, until a probe succeeds). */
  ejectedUntil: number;
  ejections: number;
  /** Busy or draining: skipped until then, or until a probe says it is ready. */
  notReadyUntil: number;
  load: LoadSnapshot | null;
  probedAt: number;
}

export interface ReplicaState extends SharedReplicaRecord {
  /** Consecutive failures (this isolate's view). */
  failures: number;
  /** Requests this isolate has in flight on the replica. */
  inflight: number;
  /** `inflight` when the last load snapshot arrived (what this isolate has changed since). */
  inflightAtProbe: number;
  /** A probe from this isolate is running since then (0 = none). */
  probingSince: number;
}

export function freshReplicaState(): ReplicaState {
  return {
    updatedAt: 0,
    ejectedUntil: 0,
    ejections: 0,
    notReadyUntil: 0,
    load: null,
    probedAt: 0,
    failures: 0,
    inflight: 0,
    inflightAtProbe: 0,
    probingSince: 0,
  };
}

export function isEjected(state: ReplicaState, now: number, settings: PoolSettings): boolean {
  if (state.ejectedUntil === 0) return false;
  // With probes, the ejection lasts until a probe succeeds after its end.
  return now < state.ejectedUntil || settings.probeMs > 0;
}

/** The replica may take a request now (not ejected, not busy or draining). */
export function isAdmitted(state: ReplicaState, now: number, settings: PoolSettings): boolean {
  return !isEjected(state, now, settings) && now >= state.notReadyUntil;
}

/**
 * Waiting requests on the replica, estimated from below. The last /health snapshot is up to a
 * probe interval old; since then this isolate has sent some requests and seen others finish,
 * so the snapshot's count is moved by that change (`inflight` now against `inflight` when the
 * snapshot came): new requests fill its free batch slots first, then wait. Without that, a
 * replica that reported a queue keeps counting as overloaded after draining it, and sits
 * partly idle until the next probe. Never less than what this isolate alone has sent beyond
 * the batch size.
 */
export function estimatedWaiting(state: ReplicaState): number {
  const load = state.load;
  if (load === null) return 0;
  const since = state.inflight - state.inflightAtProbe;
  const reported = load.maxBatch === null ? load.queueDepth + since : load.running + load.queueDepth + since - load.maxBatch;
  const local = load.maxBatch === null ? 0 : state.inflight - load.maxBatch;
  return Math.max(0, reported, local);
}

export function isOverloaded(state: ReplicaState, settings: PoolSettings): boolean {
  return estimatedWaiting(state) >= settings.spillAt;
}

function touch(state: ReplicaState, now: number): void {
  state.updatedAt = Math.max(now, state.updatedAt + 1);
}

/** A request got its answer started (or a clean client error): the replica works. */
export function recordSuccess(state: ReplicaState, now: number): void {
  state.failures = 0;
  if (state.ejectedUntil !== 0 && now >= state.ejectedUntil) {
    state.ejectedUntil = 0;
    state.ejections = 0;
    touch(state, now);
  }
}

export type FailureOutcome = "counted" | "ejected";

/** A connection error, timeout, 5xx or a stream that died: counts toward ejection. */
export function recordFailure(state: ReplicaState, now: number, settings: PoolSettings): FailureOutcome {
  state.failures += 1;
  // On probation (ejection over, no probe since): one failure is enough.
  const probation = state.ejectedUntil !== 0 && now >= state.ejectedUntil;
  if (state.failures < settings.ejectAfter && !probation) return "counted";
  state.ejectedUntil = now + settings.ejectMs * 2 ** Math.min(state.ejections, 3);
  state.ejections += 1;
  state.failures = 0;
  touch(state, now);
  return "ejected";
}

/** The replica refused for load or a drain (429, 503): skip it for `forMs` or until a probe says ready. */
export function recordBusy(state: ReplicaState, now: number, forMs: number): void {
  state.notReadyUntil = Math.max(state.notReadyUntil, now + forMs);
  touch(state, now);
}

export type ProbeResult = { kind: "ready"; load: LoadSnapshot | null } | { kind: "not-ready"; retryAfterMs: number } | { kind: "failed" };

export type ProbeOutcome = "ready" | "readmitted" | "not-ready" | FailureOutcome;

export function recordProbe(state: ReplicaState, result: ProbeResult, now: number, settings: PoolSettings): ProbeOutcome {
  state.probedAt = now;
  touch(state, now);
  if (result.kind === "failed") return recordFailure(state, now, settings);
  if (result.kind === "not-ready") {
    state.notReadyUntil = now + Math.max(result.retryAfterMs, settings.probeMs * 2);
    return "not-ready";
  }
  state.load = result.load;
  state.inflightAtProbe = state.inflight;
  state.failures = 0;
  state.notReadyUntil = 0;
  if (state.ejectedUntil !== 0 && now >= state.ejectedUntil) {
    state.ejectedUntil = 0;
    state.ejections = 0;
    return "readmitted";
  }
  return "ready";
}

/** Adopts a newer shared record (another isolate's probe or ejection); local counters stay. */
export function mergeShared(state: ReplicaState, shared: SharedReplicaRecord): void {
  if (shared.updatedAt <= state.updatedAt) return;
  state.updatedAt = shared.updatedAt;
  state.ejectedUntil = shared.ejectedUntil;
  state.ejections = shared.ejections;
  state.notReadyUntil = shared.notReadyUntil;
  state.load = shared.load;
  state.inflightAtProbe = state.inflight;
  state.probedAt = Math.max(state.probedAt, shared.probedAt);
}

export function sharedRecord(state: ReplicaState): SharedReplicaRecord {
  const { updatedAt, ejectedUntil, ejections, notReadyUntil, load, probedAt } = state;
  return { updatedAt, ejectedUntil, ejections, notReadyUntil, load, probedAt };
}
