/**
 * The conversation as plain data, and how each ChatEvent changes the answer
 * being streamed. Pure (no DOM), so the view can re-render from it at any
 * moment and a reload can rebuild it from the server's session history.
 */
import type { ChatEvent } from "../../../agent/events";
import type { Attachment } from "./attachments";
import type { StoredSession } from "./chat-api";

export interface Source {
  index: number;
  url: string;
  title: string;
  domain: string;
  snippet: string;
}

export type Progress = { stage: "thinking" | "searching" | "writing" } | { stage: "reading"; done: number; total: number };

export interface UserTurn {
  role: "user";
  text: string;
  /** Sent with the question; kept so Retry sends them again. */
  attachments: Attachment[];
}

export interface AssistantTurn {
  role: "assistant";
  text: string;
  /** Sources by 1-based index, in arrival order. */
  sources: Map<number, Source>;
  progress: Progress | undefined;
  state: "streaming" | "done" | "stopped" | "failed";
  failure: { message: string; retryable: boolean } | undefined;
  /** Id of the last SSE frame applied, for resuming. */
  lastEventId: string | undefined;
}

export type Turn = UserTurn | AssistantTurn;

export function newAssistantTurn(): AssistantTurn {
  return { role: "assistant", text: "", sources: new Map(), progress: { stage: "thinking" }, state: "streaming", failure: undefined, lastEventId: undefined };
}

function domainOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return "";
  }
}

/** Applies one event to the answer in place; the caller re-renders. */
export function applyEvent(turn: AssistantTurn, event: ChatEvent): void {
  switch (event.type) {
    case "status":
      turn.progress = event.stage === "reading" ? { stage: "reading", done: event.done ?? 0, total: event.total ?? 0 } : { stage: event.stage };
      return;
    case "search-start":
      turn.progress = { stage: "searching" };
      return;
    case "page-read":
      turn.progress = { stage: "reading", done: event.done, total: event.total };
      return;
    case "source":
      turn.sources.set(event.index, {
        index: event.index,
        url: event.url,
        title: event.title,
        domain: event.domain || domainOf(event.url),
        snippet: event.snippet,
      });
      return;
    case "text-delta":
      turn.text += event.delta;
      turn.progress = { stage: "writing" };
      return;
    case "error":
      // Recovered errors (e.g. a failed search) keep the answer going; only
      // `finish` with reason "error" fails the answer. Either way it is shown.
      turn.failure = { message: event.message, retryable: event.retryable };
      return;
    case "finish":
      turn.progress = undefined;
      if (event.reason === "aborted") turn.state = "stopped";
      else if (event.reason === "error") turn.state = "failed";
      else turn.state = "done";
      return;
    default:
      return;
  }
}

/** Rebuilds turns from `GET /api/sessions/:id`. */
export function turnsFromSession(session: StoredSession): Turn[] {
  const turns: Turn[] = [];
  for (const message of session.messages) {
    if (message.role === "user") turns.push({ role: "user", text: message.content, attachments: [] });
    if (message.role !== "assistant") continue;
    const sources = new Map<number, Source>();
    for (const source of message.sources ?? []) {
      sources.set(source.index, { ...source, domain: domainOf(source.url), snippet: "" });
    }
    // An answer that ended in an error is shown as failed (its partial text kept), as it was when it streamed.
    const state = message.incomplete ? "failed" : "done";
    turns.push({ role: "assistant", text: message.content, sources, progress: undefined, state, failure: undefined, lastEventId: undefined });
  }
  return turns;
}
