/**
 * The engine's hono app: OpenAI-compatible routes plus health, metrics and tokenize, with a
 * single error handler that turns every failure into the OpenAI error shape.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Engine } from "../engine/create-engine";
import { errorReply, isExpectedError } from "./error-response";
import { registerChatCompletions } from "./routes/chat-completions";
import { registerCompletions } from "./routes/completions";
import { registerServerInfo } from "./routes/server-info";
import { registerTokenize } from "./routes/tokenize";
import { requestScopeMiddleware } from "./request-scope";
import { replyWith, type ServerContext } from "./server-context";

export interface ServerAppOptions {
  engine: Engine;
  modelName: string;
  log?: (line: string) => void;
  /** Largest accepted request body (base64 images/audio make Omni bodies big). Default 32 MiB. */
  maxBodyBytes?: number;
}

/**
 * @example
 *   const app = createServerApp({ engine, modelName: "megrez" });
 *   serve({ fetch: app.fetch, port: 8080 });
 */
export function createServerApp(options: ServerAppOptions): Hono {
  const context: ServerContext = { engine: options.engine, modelName: options.modelName, log: options.log ?? ((line) => console.error(line)) };
  const app = new Hono();
  const maxSize = options.maxBodyBytes ?? 32 * 2 ** 20;
  app.use("*", requestScopeMiddleware());
  app.use(
    "*",
    bodyLimit({
      maxSize,
      onError: (c) =>
        replyWith(c, {
          status: 413,
          headers: {},
          body: { error: { message: `request body larger than ${maxSize} bytes`, type: "invalid_request_error", param: null, code: "request_too_large" } },
        }),
    }),
  );
  registerChatCompletions(app, context);
  registerCompletions(app, context);
  registerTokenize(app, context);
  registerServerInfo(app, context, Math.floor(Date.now() / 1000));
  app.notFound((c) =>
    replyWith(c, {
      status: 404,
      headers: {},
      body: { error: { message: `no route for ${c.req.method} ${c.req.path}`, type: "invalid_request_error", param: null, code: "not_found" } },
    }),
  );
  app.onError((error, c) => {
    if (!isExpectedError(error))
      context.log(`engine: unexpected error on ${c.req.method} ${c.req.path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return replyWith(c, errorReply(error));
  });
  return app;
}
