/**
 * The pool's state in this isolate: one ReplicaState per replica id, kept between requests
 * (module scope holds plain data only; the replicas' transports are rebuilt per request,
 * since workerd's I/O objects belong to the request that made them), refreshed from the
 * shared store (shared-pool-state.ts) at most once a second and by active /health probes
 * that run in the background of the request that found them due.
 */
import type { Logger } from "../log";
import { probeReplica } from "./health-probe";
import { rankReplicas } from "./pool-router";
import type { Replica } from "./replica";
import { freshReplicaState, mergeShared, type PoolSettings, type ProbeOutcome, type ReplicaState, recordProbe, sharedRecord } from "./replica-health";
import { hashHex } from "../stable-hash";
import type { SharedPoolStore } from "./shared-pool-state";

/** How often an isolate re-reads the shared view. */
const SHARED_READ_INTERVAL_MS = 1_000;
/** Pools of this isolate, by replica list and settings. */
const pools = new Map<string, EnginePool>();

export type PoolLog = Pick<Logger, "info" | "error">;
export type WaitUntil = (promise: Promise<unknown>) => void;

export class EnginePool {
  private readonly states = new Map<string, ReplicaState>();
  private sharedReadAt = Number.NEGATIVE_INFINITY;

  constructor(
    /** Names the pool in the shared store: the same replicas and settings share one view. */
    readonly name: string,
    readonly settings: PoolSettings,
    readonly now: () => number = () => Date.now(),
  ) {}

  /** This isolate's pool for these replicas and settings (created on first use). */
  static of(replicaIds: readonly string[], settings: PoolSettings): EnginePool {
    const name = hashHex(JSON.stringify([[...replicaIds].sort(), settings]));
    let pool = pools.get(name);
    if (!pool) {
      pool = new EnginePool(name, settings);
      pools.set(name, pool);
    }
    return pool;
  }

  state(id: string): ReplicaState {
    let state = this.states.get(id);
    if (!state) {
      state = freshReplicaState();
      this.states.set(id, state);
    }
    return state;
  }

  /** The order in which a request with this key tries the replicas. */
  rank(key: string, replicaIds: readonly string[]): string[] {
    return rankReplicas(key, replicaIds, (id) => this.state(id), this.now(), this.settings);
  }

  /** Adopts the shared view when it is due, and starts the probes that are due. */
  async refresh(replicas: readonly Replica[], store: SharedPoolStore, waitUntil: WaitUntil, log?: PoolLog): Promise<void> {
    const now = this.now();
    if (now - this.sharedReadAt >= SHARED_READ_INTERVAL_MS) {
      this.sharedReadAt = now;
      const shared = await store.read(replicas.map((replica) => replica.id));
      for (const [id, record] of shared) mergeShared(this.state(id), record);
    }
    // One replica has nowhere to spill or fail over to: probing it would change nothing.
    if (this.settings.probeMs <= 0 || replicas.length < 2) return;
    const timeoutMs = this.probeTimeoutMs();
    for (const replica of replicas) {
      const state = this.state(replica.id);
      const probing = state.probingSince !== 0 && now - state.probingSince < timeoutMs * 2;
      if (probing || now - state.probedAt < this.settings.probeMs) continue;
      state.probingSince = now;
      waitUntil(this.probe(replica, store, log));
    }
  }

  /** Stores a replica's changed state for the other isolates. */
  publish(id: string, store: SharedPoolStore): Promise<void> {
    const state = this.state(id);
    const now = this.now();
    const ttlMs = Math.max(this.settings.probeMs * 3, state.ejectedUntil - now, state.notReadyUntil - now, 1_000);
    return store.write(id, sharedRecord(state), ttlMs / 1000);
  }

  /** Logs what changed for the operator: ejections and re-admissions. */
  report(id: string, outcome: ProbeOutcome | "ejected", log: PoolLog | undefined, why: string): void {
    if (outcome === "ejected") {
      const state = this.state(id);
      log?.error("engine replica ejected", { replica: id, why, forMs: state.ejectedUntil - this.now(), ejections: state.ejections });
    } else if (outcome === "readmitted") {
      log?.info("engine replica re-admitted", { replica: id, why });
    }
  }

  private probeTimeoutMs(): number {
    return Math.min(2_000, Math.max(250, this.settings.probeMs));
  }

  private async probe(replica: Replica, store: SharedPoolStore, log: PoolLog | undefined): Promise<void> {
    const result = await probeReplica(replica, this.probeTimeoutMs());
    const state = this.state(replica.id);
    state.probingSince = 0;
    const outcome = recordProbe(state, result, this.now(), this.settings);
    this.report(replica.id, outcome, log, "health probe");
    await this.publish(replica.id, store);
  }
}
