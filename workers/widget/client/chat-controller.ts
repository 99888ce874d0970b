/**
 * What the widget does with a conversation, apart from the DOM it draws: send
 * a question and stream its answer, stop it (here and on the server), retry
 * the last one, start a new chat, and restore the conversation after a reload
 * (resuming an answer still in progress).
 */
import type { ChatEvent } from "../../../agent/events";
import type { Attachment } from "./attachments";
import type { AssistantView } from "./assistant-view";
import type { ChatApi, StreamHandlers } from "./chat-api";
import { applyEvent, newAssistantTurn, turnsFromSession, type AssistantTurn, type Turn } from "./conversation";
import { followAnswer } from "./follow-answer";
import type { Messages } from "./messages";
import type { SessionStore } from "./session-store";
import type { Transcript } from "./transcript";

export interface ChatController {
  readonly running: boolean;
  send(text: string, attachments: Attachment[]): void;
  retry(): void;
  stop(): void;
  newChat(): void;
  restore(): Promise<void>;
  /** Aborts any answer in progress (the widget is being removed). */
  abort(): void;
}

interface ControllerDeps {
  api: ChatApi;
  store: SessionStore;
  transcript: () => Transcript;
  messages: Messages;
  /** Called when an answer starts or ends streaming. */
  onBusy(busy: boolean): void;
}

type StartStream = (signal: AbortSignal, handlers: StreamHandlers) => Promise<void>;

export function createChatController(deps: ControllerDeps): ChatController {
  const { api, store, messages } = deps;
  let turns: Turn[] = [];
  let running: { abort: AbortController; turn: AssistantTurn; view: AssistantView } | undefined;
  let renderQueued = false;

  const renderRunning = () => {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      if (!running) return;
      const nearEnd = deps.transcript().nearEnd();
      running.view.update(running.turn);
      if (nearEnd) deps.transcript().scrollToEnd();
    });
  };

  async function stream(turn: AssistantTurn, view: AssistantView, start: StartStream) {
    const abort = new AbortController();
    running = { abort, turn, view };
    deps.onBusy(true);
    const handlers = {
      onSessionId: (sessionId: string) => store.set(sessionId),
      onEvent: (event: ChatEvent, eventId: string | undefined) => {
        turn.lastEventId = eventId;
        applyEvent(turn, event);
        renderRunning();
      },
    };
    await followAnswer({
      turn,
      signal: abort.signal,
      start: () => start(abort.signal, handlers),
      resumer: () => {
        const sessionId = store.get();
        return sessionId ? (lastEventId) => api.resume({ sessionId, lastEventId, signal: abort.signal }, handlers) : undefined;
      },
      interruptedMessage: messages.interrupted,
    });
    running = undefined;
    deps.onBusy(false);
    view.update(turn);
    deps.transcript().scrollToEnd();
  }

  function send(text: string, attachments: Attachment[]) {
    if (running || !text.trim()) return;
    const transcript = deps.transcript();
    turns.push({ role: "user", text, attachments });
    transcript.appendUser(text, attachments);
    const turn = newAssistantTurn();
    turns.push(turn);
    const view = transcript.appendAssistant(turn);
    transcript.scrollToEnd();
    void stream(turn, view, (signal, handlers) => api.send({ sessionId: store.get(), message: text, attachments, signal }, handlers));
  }

  function retry() {
    if (running) return;
    const last = turns.at(-1);
    const question = turns.at(-2);
    if (last?.role !== "assistant" || question?.role !== "user") return;
    turns = turns.slice(0, -2);
    deps.transcript().removeLast(2);
    send(question.text, question.attachments);
  }

  /** Stops the answer here and on the server (best effort: the server also stops it when it goes stale). */
  function stop() {
    if (!running) return;
    running.abort.abort();
    const sessionId = store.get();
    if (sessionId) void api.cancel(sessionId).catch(() => undefined);
  }

  function newChat() {
    stop();
    store.clear();
    turns = [];
    deps.transcript().clear();
  }

  async function restore() {
    const sessionId = store.get();
    if (!sessionId) return;
    try {
      const session = await api.loadSession(sessionId);
      if (!session) return store.clear();
      const transcript = deps.transcript();
      turns = turnsFromSession(session);
      for (const turn of turns) {
        if (turn.role === "user") transcript.appendUser(turn.text, turn.attachments);
        else transcript.appendAssistant(turn);
      }
      if (session.active) {
        const turn = newAssistantTurn();
        turns.push(turn);
        await stream(turn, transcript.appendAssistant(turn), (signal, handlers) => api.resume({ sessionId, lastEventId: undefined, signal }, handlers));
      }
      transcript.scrollToEnd();
    } catch {
      // The history is a convenience: a failure leaves an empty, working chat.
    }
  }

  return {
    get running() {
      return running !== undefined;
    },
    send,
    retry,
    stop,
    newChat,
    restore,
    abort: () => running?.abort.abort(),
  };
}
