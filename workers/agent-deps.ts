/**
 * Wires the platform-free agent to this worker's I/O: the engine pool (binding,
 * ENGINE_URLS or ENGINE_URL), the search provider chain, the page fetcher (own corpus through
 * ASSETS, the web through the guarded fetcher), extraction and the clock.
 * Built per request from the parsed config; nothing here holds state.
 */
import { runAgent, type AgentRequest } from "../agent/run-agent";
import type { ChatEvent } from "../agent/events";
import type { WorkerConfig } from "./config";
import { createEngineClient, type EngineRouting } from "./engine";
import type { Env } from "./env";
import type { Logger } from "./log";
import { createSearchDeps, type SearchScope } from "./search-deps";

export type AgentRunner = (request: AgentRequest) => AsyncIterable<ChatEvent>;

/**
 * @param requestOrigin the origin the request came in on: the base of the
 *   local corpus's URLs when PUBLIC_URL is not set.
 * @param routing where the engine pool places this answer's model calls (its affinity key).
 * @param scope crawled sites the answer is limited to (workers/sites/site-scope.ts).
 */
export function createAgentRunner(
  env: Env,
  config: WorkerConfig,
  requestOrigin: string,
  log: Logger,
  routing: Omit<EngineRouting, "log">,
  scope: SearchScope = {},
): AgentRunner {
  const model = createEngineClient(env, config, { ...routing, log });
  const search = createSearchDeps(env, config, config.publicUrl ?? requestOrigin, scope);
  return (request) =>
    logged(
      runAgent(request, {
        model,
        ...search,
        now: () => new Date(),
        config: config.agent,
      }),
      log,
    );
}

/** Puts the agent's failures and each answer's outcome in the request's log. */
async function* logged(events: AsyncIterable<ChatEvent>, log: Logger): AsyncGenerator<ChatEvent> {
  const started = Date.now();
  let sources = 0;
  for await (const event of events) {
    if (event.type === "error") log.error("agent error", { code: event.code, retryable: event.retryable });
    if (event.type === "source") sources += 1;
    if (event.type === "finish") log.info("answer finished", { reason: event.reason, ...event.usage, sources, ms: Date.now() - started });
    yield event;
  }
}
