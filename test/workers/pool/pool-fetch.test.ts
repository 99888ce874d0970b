/**
 * The pool as the engine client's fetch, inside workerd, with scripted replicas and the real
 * model client on top: a request failing before its first token is retried once on the next
 * replica (and the client sees one answer, never two), a stream that dies mid-answer ends in
 * the client's typed error with no retry, refusals and client errors are told apart, repeated
 * failures eject a replica, and probes re-admit it.
 */
import { describe, expect, it } from "vitest";
import { createHttpModelClient } from "../../../agent/model-client";
import { EnginePool } from "../../../workers/pool/engine-pool";
import { createPoolFetch } from "../../../workers/pool/pool-fetch";
import { isAdmitted, type PoolSettings } from "../../../workers/pool/replica-health";
import { rendezvousOrder } from "../../../workers/pool/rendezvous";
import { NO_SHARED_STORE } from "../../../workers/pool/shared-pool-state";
import { hashHex } from "../../../workers/stable-hash";
import { type Behaviour, type FakeReplica, fakeReplica } from "./support/fake-replicas";

const SETTINGS: PoolSettings = { spillAt: 4, ejectAfter: 3, ejectMs: 60_000, probeMs: 0 };

interface Harness {
  replicas: FakeReplica[];
  pool: EnginePool;
  /** The replicas in the order the key tries them. */
  order: FakeReplica[];
  background: Promise<unknown>[];
  client(key?: string): ReturnType<typeof createHttpModelClient>;
}

let poolCounter = 0;
function harness(n: number, key = "session:test", settings: PoolSettings = SETTINGS, clock: () => number = () => Date.now()): Harness {
  const replicas = Array.from({ length: n }, (_, i) => fakeReplica(`replica-${i}`));
  // A fresh pool per test: states never leak between tests.
  const pool = new EnginePool(`test-${poolCounter++}`, settings, clock);
  const background: Promise<unknown>[] = [];
  const byId = new Map(replicas.map((replica) => [replica.id, replica]));
  const order = rendezvousOrder(
    key,
    replicas.map((replica) => replica.id),
  ).map((id) => byId.get(id) as FakeReplica);
  return {
    replicas,
    pool,
    order,
    background,
    client: (k = key) =>
      createHttpModelClient({
        baseUrl: "http://engine.pool/v1",
        model: "megrez",
        fetch: createPoolFetch({ pool, replicas, key: k, store: NO_SHARED_STORE, waitUntil: (p) => background.push(p) }),
        timeoutMs: 5_000,
      }),
  };
}

async function answer(h: Harness, key?: string): Promise<string> {
  let text = "";
  for await (const part of h.client(key).streamChat({ messages: [{ role: "user", content: "hi" }], maxTokens: 8, temperature: 0 })) {
    if (part.type === "text-delta") text += part.text;
  }
  return text;
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; retryable: boolean }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; retryable: boolean };
  }
  throw new Error("expected a failure");
}

describe("failover before the first token", () => {
  it.each<Behaviour>(["refuse-connection", "http-500", "break-before-first-token", "error-frame-before-first-token", "busy-429", "draining-503"])(
    "%s on the first replica: the second answers, once",
    async (behaviour) => {
      const h = harness(3);
      const [first, second, third] = h.order;
      if (!first || !second || !third) throw new Error("three replicas");
      first.behaviour = behaviour;
      expect(await answer(h)).toBe(`from ${second.id}: one two three`);
      expect([first.requests, second.requests, third.requests]).toEqual([1, 1, 0]);
      const counted = behaviour === "busy-429" || behaviour === "draining-503" ? 0 : 1;
      expect(h.pool.state(first.id).failures).toBe(counted);
    },
  );

  it("retries only once: with the first two failing, the client gets the typed error", async () => {
    const h = harness(3);
    const [first, second, third] = h.order;
    if (!first || !second || !third) throw new Error("three replicas");
    first.behaviour = "refuse-connection";
    second.behaviour = "http-500";
    expect(await failure(answer(h))).toMatchObject({ code: "model-unavailable", retryable: true });
    expect([first.requests, second.requests, third.requests]).toEqual([1, 1, 0]);
  });

  it("passes a client error (400) through without a retry, and the replica stays healthy", async () => {
    const h = harness(2);
    const [first, second] = h.order;
    if (!first || !second) throw new Error("two replicas");
    first.behaviour = "bad-request-400";
    expect(await failure(answer(h))).toMatchObject({ code: "context-too-long", retryable: false });
    expect([first.requests, second.requests]).toEqual([1, 0]);
    expect(h.pool.state(first.id).failures).toBe(0);
  });

  it("does not retry a request the caller cancelled, and counts no failure", async () => {
    const h = harness(2);
    const controller = new AbortController();
    controller.abort();
    const stream = h.client().streamChat({ messages: [{ role: "user", content: "hi" }], maxTokens: 8, temperature: 0, signal: controller.signal });
    expect(await failure(stream[Symbol.asyncIterator]().next())).toMatchObject({ code: "aborted" });
    expect(h.order.map((replica) => replica.requests)).toEqual([1, 0]);
    expect(h.pool.state(h.order[0]?.id ?? "").failures).toBe(0);
  });
});

describe("a stream that dies mid-answer", () => {
  it.each<Behaviour>(["break-mid-answer", "end-without-done"])(
    "%s: the client keeps what it got, then gets an error; nothing is retried",
    async (behaviour) => {
      const h = harness(2);
      const [first, second] = h.order;
      if (!first || !second) throw new Error("two replicas");
      first.behaviour = behaviour;
      let text = "";
      const error = await failure(
        (async () => {
          for await (const part of h.client().streamChat({ messages: [{ role: "user", content: "hi" }], maxTokens: 8, temperature: 0 })) {
            if (part.type === "text-delta") text += part.text;
          }
        })(),
      );
      expect(error).toMatchObject({ code: "model-interrupted", retryable: true });
      expect(text).toBe(`from ${first.id}: one`);
      expect(second.requests).toBe(0);
      expect(h.pool.state(first.id).failures).toBe(1);
      expect(h.pool.state(first.id).inflight).toBe(0);
    },
  );
});

describe("affinity and health across requests", () => {
  it("sends every request of a key to the same replica, and other keys elsewhere", async () => {
    const h = harness(3);
    for (let i = 0; i < 4; i++) expect(await answer(h)).toContain(h.order[0]?.id);
    // Each request names its key's hash, for an in-cluster proxy that balances by it.
    expect(new Set(h.order[0]?.affinityKeys)).toEqual(new Set([hashHex("session:test")]));
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add((await answer(h, `session:${i}`)).split(":")[0] ?? "");
    expect(seen.size).toBe(3);
  });

  it("ejects a replica after the configured failures; its keys go to their second choice without trying it", async () => {
    const h = harness(3);
    const [first, second] = h.order;
    if (!first || !second) throw new Error("replicas");
    first.behaviour = "refuse-connection";
    for (let i = 0; i < SETTINGS.ejectAfter; i++) expect(await answer(h)).toContain(second.id);
    expect(isAdmitted(h.pool.state(first.id), Date.now(), SETTINGS)).toBe(false);
    const tried = first.requests;
    expect(await answer(h)).toContain(second.id);
    expect(first.requests).toBe(tried);
  });

  it("with probes, re-admits an ejected replica once its /health answers after the ejection time", async () => {
    let now = 1_000_000;
    const settings = { ...SETTINGS, probeMs: 100, ejectMs: 1_000 };
    const h = harness(2, "session:probe", settings, () => now);
    const [first, second] = h.order;
    if (!first || !second) throw new Error("replicas");
    first.behaviour = "refuse-connection";
    first.health = null;
    for (let i = 0; i < settings.ejectAfter; i++) {
      expect(await answer(h)).toContain(second.id);
      now += 10;
    }
    expect(isAdmitted(h.pool.state(first.id), now, settings)).toBe(false);
    // It comes back; probes run in the background of the requests that find them due.
    first.behaviour = "answer";
    first.health = { status: 200, body: { queue_depth: 0, running_sequences: 0, max_batch: 8 } };
    now += settings.ejectMs + settings.probeMs;
    expect(await answer(h)).toContain(second.id);
    await Promise.all(h.background.splice(0));
    expect(first.probes).toBeGreaterThan(0);
    expect(await answer(h)).toContain(first.id);
  });

  it("spills to the next replica of the key's order when the first reports a deep queue", async () => {
    let now = 5_000_000;
    const settings = { ...SETTINGS, probeMs: 100 };
    const h = harness(2, "session:load", settings, () => now);
    const [first, second] = h.order;
    if (!first || !second) throw new Error("replicas");
    first.health = { status: 200, body: { queue_depth: 9, running_sequences: 8, max_batch: 8 } };
    await answer(h);
    await Promise.all(h.background.splice(0));
    now += 1;
    expect(await answer(h)).toContain(second.id);
    first.health = { status: 200, body: { queue_depth: 0, running_sequences: 1, max_batch: 8 } };
    now += settings.probeMs;
    await answer(h);
    await Promise.all(h.background.splice(0));
    now += 1;
    expect(await answer(h)).toContain(first.id);
  });
});
