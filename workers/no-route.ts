/**
 * The answer for a request no route took, on every path: `405` with `Allow`
 * when the path exists under other methods, else `404`, both in the API's
 * error shape. The methods come from the app's own route table (every route
 * but middleware and catch-alls), so they cannot drift from the routes.
 * Sub-apps send their leftovers here with `c.notFound()`.
 */
import type { Context, Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import { ApiError, errorResponse } from "./errors";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;

/** A function from a path to the methods its routes take, built once from the app's routes. */
export function routeMethods(app: Pick<Hono, "routes">): (path: string) => string[] {
  let router: TrieRouter<string> | undefined;
  return (path) => {
    if (!router) {
      router = new TrieRouter<string>();
      for (const route of app.routes) if (route.method !== "ALL") router.add(route.method, route.path, route.method);
    }
    const table = router;
    const allowed = new Set(METHODS.filter((method) => table.match(method, path)[0].length > 0));
    // hono answers HEAD with the GET route.
    if (allowed.has("GET")) allowed.add("HEAD");
    return METHODS.filter((method) => allowed.has(method));
  };
}

/** The not-found handler of the app: 405 + Allow, or 404. */
export function noRoute(methodsOf: (path: string) => string[]) {
  return (c: Context): Response => {
    const allowed = methodsOf(c.req.path);
    if (allowed.length > 0) {
      const error = new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(", ")}.`, {
        allow: allowed.join(", "),
      });
      return errorResponse(error);
    }
    return errorResponse(new ApiError("not_found", "No such route; see docs/api.md."));
  };
}
