/**
 * The research dependencies of a job run, built exactly like the chat's
 * (`createEngineClient` + `createSearchDeps`), with the job's own search
 * provider in front of the configured fallbacks. A provider that cannot be
 * built (say, `serper` without SERPER_API_KEY) becomes a typed, permanent
 * `search-failed` instead of an unexpected error.
 */
import { DigestError } from "../../agent/digest";
import type { ResearchDeps } from "../../agent/research";
import type { SearchProviderName } from "../../search/providers/index";
import type { WorkerConfig } from "../config";
import { createEngineClient } from "../engine";
import type { Env } from "../env";
import { createSearchDeps } from "../search-deps";

/** @param routingKey the engine pool's affinity key for this run's model calls. */
export function researchDepsFor(env: Env, config: WorkerConfig, provider: SearchProviderName | undefined, origin: string, routingKey: string): ResearchDeps {
  const effective: WorkerConfig =
    provider === undefined
      ? config
      : { ...config, search: { ...config.search, provider, fallback: config.search.fallback.filter((name) => name !== provider) } };
  let search: ReturnType<typeof createSearchDeps>;
  try {
    search = createSearchDeps(env, effective, config.publicUrl ?? origin);
  } catch (err) {
    const kind = typeof err === "object" && err !== null && "kind" in err ? String(err.kind) : "config";
    const message = err instanceof Error ? err.message : String(err);
    throw new DigestError("search-failed", `search provider "${effective.search.provider}" is unusable: ${message}`, kind !== "config" && kind !== "auth");
  }
  // Inside the runner's alarm: the object stays up while the run does, so background work just runs.
  const model = createEngineClient(env, config, { key: routingKey, waitUntil: (promise) => void promise.catch(() => undefined) });
  return { model, ...search, config: config.agent };
}
