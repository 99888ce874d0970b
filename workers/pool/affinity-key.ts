/**
 * The key a request is routed by, so that every model call of one conversation meets the
 * replica that holds its prefix cache:
 * - a session (`/api/chat`): its id;
 * - an OpenAI request: its `prompt_cache_key` when the client sends one (OpenAI's own field
 *   for this), else a hash of the conversation's opening — the messages up to and including
 *   the first user message, which every later turn of that conversation resends unchanged.
 *   The agent's system prompt is left out: it is the same for every conversation and would
 *   send them all to one replica;
 * - a job run: the job's id.
 */
import { hashHex } from "../stable-hash";

/** Characters of the opening that are hashed (enough to tell conversations apart). */
const OPENING_CHARS = 4_096;

export function sessionKey(sessionId: string): string {
  return `session:${sessionId}`;
}

export function jobKey(jobId: string): string {
  return `job:${jobId}`;
}

/**
 * @example
 *   conversationKey([{ role: "user", content: "hi" }]) === conversationKey([{ role: "user", content: "hi" }, { role: "assistant", content: "…" }, { role: "user", content: "more" }]); // true
 */
export function conversationKey(messages: readonly { role: string; content: string }[], promptCacheKey?: string): string {
  if (promptCacheKey !== undefined && promptCacheKey !== "") return `cache-key:${promptCacheKey}`;
  const firstUser = messages.findIndex((message) => message.role === "user");
  const opening = (firstUser === -1 ? messages : messages.slice(0, firstUser + 1)).map((message) => `${message.role}\u0000${message.content}`).join("\u0001");
  return `conversation:${hashHex(opening.slice(0, OPENING_CHARS))}`;
}
