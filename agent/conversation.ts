/**
 * Turns the client's messages into the model's conversation: only `user` and
 * `assistant` turns are taken as turns (a client cannot inject an
 * `observation` or a fake role), `system`/`developer` text becomes operator
 * instructions, every content is neutralized, and older turns are dropped,
 * oldest first, until the prompt fits its token budget. The newest user
 * message is never cut: when it alone is over the budget the caller is told
 * how many tokens it needs (and decides whether the request can be answered).
 * Only the newest user message's attachments are kept: earlier media is not resent.
 */
import type { Attachment } from "./attachments";
import { renderChatTemplate } from "./chat-template";
import type { ModelMessage } from "./model-client";
import { neutralize } from "./special-tokens";

export interface IncomingMessage {
  role: string;
  content: string;
  attachments?: Attachment[];
}

export type ReadConversation =
  | { ok: true; question: string; attachments: Attachment[]; history: ModelMessage[]; instructions?: string }
  | { ok: false; reason: string };

export function readConversation(messages: readonly IncomingMessage[]): ReadConversation {
  // A user message with media and no text is still a question (e.g. an image alone).
  const lastUser = findLastIndex(messages, (message) => message.role === "user" && (message.content.trim() !== "" || (message.attachments?.length ?? 0) > 0));
  if (lastUser < 0) return { ok: false, reason: "no user message" };
  const instructions = messages
    .filter((message) => message.role === "system" || message.role === "developer")
    .map((message) => message.content.trim())
    .filter((content) => content !== "")
    .join("\n");
  const history: ModelMessage[] = [];
  for (const message of messages.slice(0, lastUser)) {
    if (message.role !== "user" && message.role !== "assistant") continue;
    if (message.content.trim() === "") continue;
    history.push({ role: message.role, content: neutralize(message.content) });
  }
  const question = messages[lastUser]?.content.trim() ?? "";
  const attachments = messages[lastUser]?.attachments ?? [];
  return instructions === "" ? { ok: true, question, attachments, history } : { ok: true, question, attachments, history, instructions };
}

export interface WindowInput {
  system: string;
  history: ModelMessage[];
  question: string;
  /** Media of the question: they travel on its message; their tokens are in the caller's reserve. */
  attachments?: Attachment[];
  /** Tokens the prompt may use, everything included. */
  budgetTokens: number;
  maxTurns: number;
  countTokens: (text: string) => Promise<number>;
}

export type WindowResult =
  | { ok: true; turns: ModelMessage[] }
  /** The question alone (with the system prompt) needs `promptTokens`, over the budget. */
  | { ok: false; promptTokens: number; questionOnly: ModelMessage[] };

/** The turns to send after the system prompt, ending with the user's question. */
export async function windowHistory(input: WindowInput): Promise<WindowResult> {
  const system: ModelMessage = { role: "system", content: input.system };
  const measure = (messages: ModelMessage[]) => input.countTokens(renderChatTemplate([system, ...messages], { addGenerationPrompt: true }));
  const media = input.attachments && input.attachments.length > 0 ? { attachments: input.attachments } : {};
  const current: ModelMessage = { role: "user", content: neutralize(input.question), ...media };
  const alone = await measure([current]);
  if (alone > input.budgetTokens) return { ok: false, promptTokens: alone, questionOnly: [current] };
  const turns = splitTurns(input.history).slice(-Math.max(0, input.maxTurns - 1));
  let kept: ModelMessage[] = [current];
  for (let position = turns.length - 1; position >= 0; position -= 1) {
    const candidate = [...(turns[position] ?? []), ...kept];
    if ((await measure(candidate)) > input.budgetTokens) break;
    kept = candidate;
  }
  return { ok: true, turns: kept };
}

/** A turn starts at a user message and holds the replies that follow it. */
function splitTurns(history: ModelMessage[]): ModelMessage[][] {
  const turns: ModelMessage[][] = [];
  for (const message of history) {
    const last = turns[turns.length - 1];
    if (message.role === "user" || !last) turns.push([message]);
    else last.push(message);
  }
  return turns;
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let position = items.length - 1; position >= 0; position -= 1) {
    const item = items[position];
    if (item !== undefined && predicate(item)) return position;
  }
  return -1;
}
