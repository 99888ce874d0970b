/**
 * The hono environment of the API routes: bindings plus what the request
 * middleware establishes once (request id, logger, parsed config, caller).
 */
import type { WorkerConfig } from "./config";
import type { Env } from "./env";
import type { Logger } from "./log";

/** Who is calling, after authentication. */
export type Principal = { kind: "api-key"; keyId: string } | { kind: "site-key"; key: string; origin: string; rateLimitPerMinute: number } | { kind: "open" };

export interface ApiVariables {
  requestId: string;
  log: Logger;
  config: WorkerConfig;
  principal: Principal;
}

export type ApiEnv = { Bindings: Env; Variables: ApiVariables };
