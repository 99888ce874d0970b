/**
 * vLLM-compatible POST /tokenize and POST /detokenize. The agent counts tokens for its
 * budgets with /tokenize; chat messages are encoded exactly as /v1/chat/completions does.
 */
import type { Hono } from "hono";
import { detokenizeRequestSchema, tokenizeRequestSchema } from "../request-schemas";
import { checkModel, parseBody, replyWith, type ServerContext } from "../server-context";

export function registerTokenize(app: Hono, context: ServerContext): void {
  app.post("/tokenize", async (c) => {
    const parsed = await parseBody(c, tokenizeRequestSchema);
    if (!parsed.ok) return replyWith(c, parsed.reply);
    const request = parsed.value;
    checkModel(context, request.model);
    const { codec, maxModelLen } = context.engine;
    const tokens = "prompt" in request ? codec.encodePrompt(request.prompt) : codec.encodeChat(request.messages, request.add_generation_prompt);
    return c.json({ count: tokens.length, max_model_len: maxModelLen, tokens, token_strs: null });
  });

  app.post("/detokenize", async (c) => {
    const parsed = await parseBody(c, detokenizeRequestSchema);
    if (!parsed.ok) return replyWith(c, parsed.reply);
    checkModel(context, parsed.value.model);
    const vocab = context.engine.folder.dims.vocabSize;
    const invalid = parsed.value.tokens.find((token) => token >= vocab);
    if (invalid !== undefined) {
      return replyWith(c, {
        status: 400,
        headers: {},
        body: {
          error: {
            message: `token id ${invalid} is outside the vocabulary (${vocab})`,
            type: "invalid_request_error",
            param: "tokens",
            code: "invalid_request",
          },
        },
      });
    }
    return c.json({ prompt: context.engine.codec.decode(parsed.value.tokens, false) });
  });
}
