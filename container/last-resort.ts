/**
 * The engine's last-resort handler for an error that escaped every try (an `uncaughtException` or an
 * `unhandledRejection`): it logs the error with the id, method and path of the request it happened
 * for (container/server/request-scope.ts) and the engine keeps serving.
 *
 * Why keep serving rather than exit: the engine's shared state (batch, KV cache, prefix cache) changes
 * only inside the batch scheduler's step, which catches its own errors and fails the sequences of that
 * step; so an error that escapes to the process comes from one request's own I/O (a socket callback, a
 * timer) and that request still ends by its deadline or its client's abort. Exiting would drop every
 * other generation in flight and reload the model (minutes for Megrez-3B). A real crash (out of memory,
 * a native abort) still ends the process; the supervisor (container/supervisor.ts: `npm start` and the
 * Docker image) restarts it.
 */
import { currentRequest } from "./server/request-scope";

export interface LastResortOptions {
  log: (line: string) => void;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}

/** Installs the handlers; returns a function that removes them (tests). */
export function installLastResortHandlers(options: LastResortOptions): () => void {
  const report = (kind: string) => (error: unknown) => {
    const scope = currentRequest();
    const where = scope ? `request ${scope.requestId} (${scope.method} ${scope.path})` : "no request";
    options.log(`engine: ${kind} in ${where}, still serving: ${describe(error)}`);
  };
  const onException = report("uncaught exception");
  const onRejection = report("unhandled rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
