/**
 * The pool's router and health state machine: rendezvous hashing moves about 1/N of the keys
 * when a replica joins (and only the leaver's keys when one goes), an overloaded replica
 * spills its keys to the next in their own order, failures eject after the configured count,
 * probes re-admit, and a draining replica is skipped without counting as a fault.
 */
import { describe, expect, it } from "vitest";
import { rankReplicas } from "../../../workers/pool/pool-router";
import {
  estimatedWaiting,
  freshReplicaState,
  isAdmitted,
  mergeShared,
  type PoolSettings,
  type ReplicaState,
  recordBusy,
  recordFailure,
  recordProbe,
  recordSuccess,
  sharedRecord,
} from "../../../workers/pool/replica-health";
import { rendezvousOrder } from "../../../workers/pool/rendezvous";

const replicas = (n: number) => Array.from({ length: n }, (_, i) => `http://10.0.0.${i + 1}:8080`);
const keys = Array.from({ length: 20_000 }, (_, i) => `session:${i.toString(36)}-${(i * 7919).toString(16)}`);
const settings: PoolSettings = { spillAt: 4, ejectAfter: 3, ejectMs: 1_000, probeMs: 500 };

function statesFor(ids: readonly string[]): Map<string, ReplicaState> {
  return new Map(ids.map((id) => [id, freshReplicaState()]));
}

describe("rendezvous hashing", () => {
  it.each([3, 10])("adding a replica to %i moves about 1/(N+1) of the keys, all of them to the new one", (n) => {
    const before = replicas(n);
    const after = replicas(n + 1);
    const added = after[n] ?? "";
    let moved = 0;
    for (const key of keys) {
      const was = rendezvousOrder(key, before)[0];
      const now = rendezvousOrder(key, after)[0];
      if (was !== now) {
        moved += 1;
        expect(now).toBe(added);
      }
    }
    const share = 1 / (n + 1);
    expect(moved / keys.length).toBeGreaterThan(share * 0.85);
    expect(moved / keys.length).toBeLessThan(share * 1.15);
  });

  it("removing a replica moves only the keys it held", () => {
    const before = replicas(5);
    const removed = before[2] ?? "";
    const after = before.filter((id) => id !== removed);
    for (const key of keys.slice(0, 5_000)) {
      const was = rendezvousOrder(key, before)[0];
      const now = rendezvousOrder(key, after)[0];
      if (was !== removed) expect(now).toBe(was);
      // A key of the removed replica goes to its own second choice.
      else expect(now).toBe(rendezvousOrder(key, before)[1]);
    }
  });

  it("spreads keys evenly and orders the same in any replica-list order", () => {
    const ids = replicas(4);
    const counts = new Map<string, number>();
    for (const key of keys) {
      const first = rendezvousOrder(key, ids)[0] ?? "";
      counts.set(first, (counts.get(first) ?? 0) + 1);
      if (key.endsWith("0")) expect(rendezvousOrder(key, [...ids].reverse())).toEqual(rendezvousOrder(key, ids));
    }
    for (const id of ids) expect(Math.abs((counts.get(id) ?? 0) / keys.length - 0.25)).toBeLessThan(0.02);
  });
});

describe("load: an overloaded replica spills", () => {
  const ids = replicas(3);

  it("sends a key past its first replica when that one's queue reaches spillAt, keeping the key's order", () => {
    const states = statesFor(ids);
    const key = "session:spill";
    const order = rendezvousOrder(key, ids);
    const first = order[0] ?? "";
    expect(rankReplicas(key, ids, (id) => states.get(id) ?? freshReplicaState(), 0, settings)).toEqual(order);
    recordProbe(
      states.get(first) ?? freshReplicaState(),
      { kind: "ready", load: { queueDepth: 3, running: 8, maxBatch: 8, kvFreeBytes: 0, prefixCacheBytes: 0 } },
      0,
      settings,
    );
    expect(rankReplicas(key, ids, (id) => states.get(id) ?? freshReplicaState(), 0, settings)[0]).toBe(first);
    recordProbe(
      states.get(first) ?? freshReplicaState(),
      { kind: "ready", load: { queueDepth: 4, running: 8, maxBatch: 8, kvFreeBytes: 0, prefixCacheBytes: 0 } },
      0,
      settings,
    );
    expect(rankReplicas(key, ids, (id) => states.get(id) ?? freshReplicaState(), 0, settings)).toEqual([order[1], order[2], first]);
    // Keys whose first replica is another one are not moved.
    const other = keys.find((k) => rendezvousOrder(k, ids)[0] !== first) ?? "";
    expect(rankReplicas(other, ids, (id) => states.get(id) ?? freshReplicaState(), 0, settings)[0]).toBe(rendezvousOrder(other, ids)[0]);
  });

  it("counts this isolate's own requests beyond the batch size before the next probe", () => {
    const states = statesFor(ids);
    const key = "session:local-load";
    const first = rendezvousOrder(key, ids)[0] ?? "";
    const state = states.get(first) ?? freshReplicaState();
    recordProbe(state, { kind: "ready", load: { queueDepth: 0, running: 0, maxBatch: 2, kvFreeBytes: null, prefixCacheBytes: null } }, 0, settings);
    state.inflight = 5; // 3 waiting beyond the batch of 2
    expect(rankReplicas(key, ids, (id) => states.get(id) ?? freshReplicaState(), 0, settings)[0]).toBe(first);
    state.inflight = 6; // 4 waiting: spill
    expect(rankReplicas(key, ids, (id) => states.get(id) ?? freshReplicaState(), 0, settings)[0]).not.toBe(first);
  });

  it("moves a snapshot's queue depth by what this isolate sent and saw finish since it came", () => {
    const states = statesFor(ids);
    const key = "session:stale-snapshot";
    const first = rendezvousOrder(key, ids)[0] ?? "";
    const state = states.get(first) ?? freshReplicaState();
    const rank = () => rankReplicas(key, ids, (id) => states.get(id) ?? freshReplicaState(), 0, settings);
    // The probe saw 6 waiting while 14 of this isolate's requests were on the replica.
    state.inflight = 14;
    recordProbe(state, { kind: "ready", load: { queueDepth: 6, running: 8, maxBatch: 8, kvFreeBytes: null, prefixCacheBytes: null } }, 0, settings);
    expect(estimatedWaiting(state)).toBe(6);
    expect(rank()[0]).not.toBe(first);
    // Before the next probe, six of them finish: the queue it reported has drained.
    state.inflight = 8;
    expect(estimatedWaiting(state)).toBe(0);
    expect(rank()[0]).toBe(first);
    // And requests sent since raise it again.
    state.inflight = 12;
    expect(estimatedWaiting(state)).toBe(4);
    expect(rank()[0]).not.toBe(first);
  });

  it("adopting another isolate's snapshot starts counting this isolate's changes from then", () => {
    const state = freshReplicaState();
    state.inflight = 3;
    const theirs = freshReplicaState();
    recordProbe(theirs, { kind: "ready", load: { queueDepth: 5, running: 8, maxBatch: 8, kvFreeBytes: null, prefixCacheBytes: null } }, 10, settings);
    mergeShared(state, sharedRecord(theirs));
    expect(estimatedWaiting(state)).toBe(5);
    state.inflight = 1;
    expect(estimatedWaiting(state)).toBe(3);
  });

  it("with every replica overloaded, tries the least loaded first", () => {
    const states = statesFor(ids);
    const depths = [9, 5, 7];
    ids.forEach((id, i) => {
      const load = { queueDepth: depths[i] ?? 0, running: 8, maxBatch: 8, kvFreeBytes: null, prefixCacheBytes: null };
      recordProbe(states.get(id) ?? freshReplicaState(), { kind: "ready", load }, 0, settings);
    });
    expect(rankReplicas("session:any", ids, (id) => states.get(id) ?? freshReplicaState(), 0, settings)).toEqual([ids[1], ids[2], ids[0]]);
  });
});

describe("health: ejection and re-admission", () => {
  it("ejects after the configured consecutive failures, and a success in between resets the count", () => {
    const state = freshReplicaState();
    expect(recordFailure(state, 0, settings)).toBe("counted");
    expect(recordFailure(state, 0, settings)).toBe("counted");
    recordSuccess(state, 0);
    expect(recordFailure(state, 0, settings)).toBe("counted");
    expect(recordFailure(state, 0, settings)).toBe("counted");
    expect(isAdmitted(state, 0, settings)).toBe(true);
    expect(recordFailure(state, 0, settings)).toBe("ejected");
    expect(isAdmitted(state, 10, settings)).toBe(false);
    expect(state.ejectedUntil).toBe(settings.ejectMs);
  });

  it("with probes, stays out after the ejection time until a probe succeeds; a failed probe doubles the time", () => {
    const state = freshReplicaState();
    for (let i = 0; i < settings.ejectAfter; i++) recordFailure(state, 0, settings);
    expect(isAdmitted(state, 5_000, settings)).toBe(false);
    expect(recordProbe(state, { kind: "failed" }, 1_500, settings)).toBe("ejected");
    expect(state.ejectedUntil).toBe(1_500 + 2 * settings.ejectMs);
    expect(recordProbe(state, { kind: "ready", load: null }, 2_000, settings)).toBe("ready");
    expect(isAdmitted(state, 2_000, settings)).toBe(false);
    expect(recordProbe(state, { kind: "ready", load: null }, 3_600, settings)).toBe("readmitted");
    expect(isAdmitted(state, 3_600, settings)).toBe(true);
    expect(state.ejections).toBe(0);
  });

  it("without probes, comes back on probation after the ejection time: one failure ejects it again", () => {
    const passive = { ...settings, probeMs: 0 };
    const state = freshReplicaState();
    for (let i = 0; i < passive.ejectAfter; i++) recordFailure(state, 0, passive);
    expect(isAdmitted(state, 999, passive)).toBe(false);
    expect(isAdmitted(state, 1_000, passive)).toBe(true);
    expect(recordFailure(state, 1_000, passive)).toBe("ejected");
    expect(state.ejectedUntil).toBe(1_000 + 2 * passive.ejectMs);
    // A success on probation re-admits for good.
    recordSuccess(state, 3_000);
    expect(state.ejectedUntil).toBe(0);
    expect(recordFailure(state, 3_000, passive)).toBe("counted");
  });

  it("skips a busy or draining replica without counting a failure, until a probe says ready", () => {
    const state = freshReplicaState();
    recordBusy(state, 0, 1_000);
    expect(isAdmitted(state, 500, settings)).toBe(false);
    expect(state.failures).toBe(0);
    expect(recordProbe(state, { kind: "not-ready", retryAfterMs: 0 }, 600, settings)).toBe("not-ready");
    expect(isAdmitted(state, 1_500, settings)).toBe(false);
    recordProbe(state, { kind: "ready", load: null }, 1_600, settings);
    expect(isAdmitted(state, 1_600, settings)).toBe(true);
    expect(state.ejectedUntil).toBe(0);
  });

  it("ranks ejected replicas last, and still tries them when nothing else is left", () => {
    const ids = replicas(3);
    const states = statesFor(ids);
    const key = "session:eject";
    const order = rendezvousOrder(key, ids);
    const first = states.get(order[0] ?? "") ?? freshReplicaState();
    for (let i = 0; i < settings.ejectAfter; i++) recordFailure(first, 0, settings);
    expect(rankReplicas(key, ids, (id) => states.get(id) ?? freshReplicaState(), 10, settings)).toEqual([order[1], order[2], order[0]]);
    for (const id of ids) for (let i = 0; i < settings.ejectAfter; i++) recordFailure(states.get(id) ?? freshReplicaState(), 0, settings);
    expect(rankReplicas(key, ids, (id) => states.get(id) ?? freshReplicaState(), 10, settings)).toEqual(order);
  });

  it("adopts a newer shared record and ignores an older one", () => {
    const mine = freshReplicaState();
    const theirs = freshReplicaState();
    for (let i = 0; i < settings.ejectAfter; i++) recordFailure(theirs, 100, settings);
    mergeShared(mine, sharedRecord(theirs));
    expect(isAdmitted(mine, 200, settings)).toBe(false);
    recordProbe(mine, { kind: "ready", load: null }, 2_000, settings);
    const stale = sharedRecord(theirs);
    mergeShared(mine, stale);
    expect(isAdmitted(mine, 2_000, settings)).toBe(true);
  });
});
