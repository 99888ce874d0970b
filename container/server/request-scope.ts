/**
 * Which request the engine is working for, wherever in its asynchronous call tree the code runs: a hono
 * middleware gives every request an id (a sane incoming `x-request-id` is kept, so the worker's id and the
 * engine's line up; otherwise a fresh one), answers it in `x-request-id`, and runs the handler inside an
 * AsyncLocalStorage scope. The last-resort handler (container/last-resort.ts) reads it to say which
 * request an escaped error belongs to.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";

export interface RequestScope {
  requestId: string;
  method: string;
  path: string;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const storage = new AsyncLocalStorage<RequestScope>();

/** The request whose work is running now, if any. */
export function currentRequest(): RequestScope | undefined {
  return storage.getStore();
}

/** Runs `work` as part of `scope` (the middleware does this for every HTTP request). */
export function runInRequestScope<T>(scope: RequestScope, work: () => T): T {
  return storage.run(scope, work);
}

export function requestScopeMiddleware(): MiddlewareHandler {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    await runInRequestScope({ requestId, method: c.req.method, path: c.req.path }, next);
    c.res.headers.set("x-request-id", requestId);
  };
}
