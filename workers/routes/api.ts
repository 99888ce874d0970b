/**
 * The API surface as one hono sub-app: the OpenAI-compatible routes under
 * /v1 (API keys only) and the widget's /api/chat and /api/sessions routes
 * (API keys or site keys). Middleware order: request context (id, log,
 * config) -> CORS (answers preflights) -> authentication -> rate limit.
 * Every error leaves through `onError` in the one public shape.
 */
import { Hono, type MiddlewareHandler } from "hono";
import type { ApiEnv } from "../api-context";
import { errorResponse, internalError, isApiError } from "../errors";
import { describeError } from "../log";
import { requireAuth } from "../middleware/auth";
import { apiCors } from "../middleware/cors";
import { rateLimit } from "../middleware/rate-limit";
import { requestContext } from "../middleware/request-context";
import { chatRoutes } from "./chat";
import { chatCompletionRoutes } from "./chat-completions";
import { modelRoutes } from "./models";
import { responseRoutes } from "./responses";
import { sessionRoutes } from "./sessions";

// In hono `/x/*` also matches `/x`; listing both would run the middleware twice.
const OPENAI_PATHS = ["/v1/*"];
const WIDGET_PATHS = ["/api/chat/*", "/api/sessions/*"];

export const apiRoutes = new Hono<ApiEnv>();

const useOn = (paths: string[], ...handlers: MiddlewareHandler<ApiEnv>[]) => {
  for (const path of paths) apiRoutes.use(path, ...handlers);
};

useOn([...OPENAI_PATHS, ...WIDGET_PATHS], requestContext(), apiCors());
useOn(OPENAI_PATHS, requireAuth({ allowSiteKeys: false }), rateLimit());
useOn(WIDGET_PATHS, requireAuth({ allowSiteKeys: true }), rateLimit());

apiRoutes.route("/", modelRoutes);
apiRoutes.route("/", chatCompletionRoutes);
apiRoutes.route("/", responseRoutes);
apiRoutes.route("/", chatRoutes);
apiRoutes.route("/", sessionRoutes);

// Unknown paths and methods under the API prefixes, once authenticated: the app's 404 / 405 (workers/no-route.ts).
for (const path of [...OPENAI_PATHS, ...WIDGET_PATHS]) apiRoutes.all(path, (c) => c.notFound());

apiRoutes.onError((err, c) => {
  const apiError = isApiError(err) ? err : internalError();
  if (!isApiError(err)) {
    const log = c.get("log");
    const fields = { ...describeError(err), path: c.req.path };
    if (log) log.error("unhandled error", fields);
    else console.error(JSON.stringify({ level: "error", message: "unhandled error", ...fields }));
  }
  return errorResponse(apiError);
});
