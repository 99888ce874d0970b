/**
 * Mounts one chat widget: a host element with an open shadow root, the panel,
 * and the behaviour that ties the panel to the chat API: send, stream, stop,
 * retry, new chat, restore the conversation after a reload (and resume an
 * answer still in progress), keyboard handling and focus.
 */
import { createAssistantView, type AssistantView } from "./assistant-view";
import type { ChatEvent } from "../../../agent/events";
import { createChatApi, type ChatApi, type StreamHandlers } from "./chat-api";
import { followAnswer } from "./follow-answer";
import { createAttachmentTray, type Attachment } from "./attachments";
import { detectCapabilities, textOnly } from "./capabilities";
import { applyEvent, newAssistantTurn, turnsFromSession, type AssistantTurn, type Turn } from "./conversation";
import { messagesFor } from "./messages";
import { buildPanel } from "./panel";
import { createSessionStore } from "./session-store";
import { adoptStyles } from "./styles";
import type { WidgetOptions } from "./widget-options";

export interface WidgetHandle {
  open(): void;
  close(): void;
  /** Removes the widget from the page and aborts any answer in progress. */
  destroy(): void;
}

export function mountWidget(options: WidgetOptions, dependencies: { fetch: typeof fetch; storage: Storage | undefined }): WidgetHandle {
  const messages = messagesFor(options.locale);
  const host = document.createElement("megrez-chat");
  host.dataset.theme = options.theme;
  host.dataset.position = options.position;
  host.style.setProperty("--mc-accent", options.accent);
  const root = host.attachShadow({ mode: "open" });
  adoptStyles(root);
  const ui = buildPanel(root, { title: options.title, messages });
  (options.container ?? document.body).append(host);

  const api: ChatApi = createChatApi({ apiOrigin: options.apiOrigin, siteKey: options.siteKey, fetch: dependencies.fetch });
  const store = createSessionStore({ storage: dependencies.storage, apiOrigin: options.apiOrigin, siteKey: options.siteKey });
  let turns: Turn[] = [];
  let capabilities = textOnly;
  const tray = createAttachmentTray({ list: ui.attachments, capabilities: () => capabilities, messages });
  let running: { abort: AbortController; turn: AssistantTurn; view: AssistantView } | undefined;
  let renderQueued = false;

  const scrollToEnd = () => {
    ui.log.scrollTop = ui.log.scrollHeight;
  };
  const renderRunning = () => {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      if (!running) return;
      const nearEnd = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 80;
      running.view.update(running.turn);
      if (nearEnd) scrollToEnd();
    });
  };
  const setBusy = (busy: boolean) => {
    ui.send.textContent = busy ? messages.stop : messages.send;
    ui.send.classList.toggle("stop", busy);
    ui.log.setAttribute("aria-busy", String(busy));
  };

  const appendUser = (text: string, attachments: Attachment[]) => {
    const bubble = document.createElement("div");
    bubble.className = "turn user";
    const label = document.createElement("span");
    label.className = "sr-only";
    label.textContent = `${messages.you}: `;
    bubble.append(label, document.createTextNode(text));
    for (const attachment of attachments) {
      const name = document.createElement("div");
      name.className = "attached";
      name.textContent = `📎 ${attachment.name}`;
      bubble.append(name);
    }
    ui.log.append(bubble);
  };
  const appendAssistant = (turn: AssistantTurn) => {
    const view = createAssistantView({ messages, onRetry: retry });
    view.update(turn);
    ui.log.append(view.element);
    return view;
  };

  async function stream(turn: AssistantTurn, view: AssistantView, start: (signal: AbortSignal, handlers: StreamHandlers) => Promise<void>) {
    const abort = new AbortController();
    running = { abort, turn, view };
    setBusy(true);
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
    setBusy(false);
    view.update(turn);
    scrollToEnd();
  }

  function send(text: string, attachments: Attachment[]) {
    if (running || !text.trim()) return;
    turns.push({ role: "user", text, attachments });
    appendUser(text, attachments);
    const turn = newAssistantTurn();
    turns.push(turn);
    const view = appendAssistant(turn);
    scrollToEnd();
    void stream(turn, view, (signal, handlers) => api.send({ sessionId: store.get(), message: text, attachments, signal }, handlers));
  }

  function retry() {
    if (running) return;
    const last = turns.at(-1);
    const question = turns.at(-2);
    if (last?.role !== "assistant" || question?.role !== "user") return;
    turns = turns.slice(0, -2);
    ui.log.lastElementChild?.remove();
    ui.log.lastElementChild?.remove();
    send(question.text, question.attachments);
    ui.input.focus();
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
    ui.log.replaceChildren();
    ui.input.focus();
  }

  async function restore() {
    const sessionId = store.get();
    if (!sessionId) return;
    try {
      const session = await api.loadSession(sessionId);
      if (!session) return store.clear();
      turns = turnsFromSession(session);
      for (const turn of turns) {
        if (turn.role === "user") appendUser(turn.text, turn.attachments);
        else appendAssistant(turn);
      }
      if (session.active) {
        const turn = newAssistantTurn();
        turns.push(turn);
        await stream(turn, appendAssistant(turn), (signal, handlers) => api.resume({ sessionId, lastEventId: undefined, signal }, handlers));
      }
      scrollToEnd();
    } catch {
      // The history is a convenience: a failure leaves an empty, working chat.
    }
  }

  const open = () => {
    ui.panel.hidden = false;
    host.dataset.open = "";
    ui.launcher.setAttribute("aria-expanded", "true");
    scrollToEnd();
    ui.input.focus();
  };
  const close = () => {
    ui.panel.hidden = true;
    delete host.dataset.open;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  };

  ui.launcher.addEventListener("click", () => (ui.panel.hidden ? open() : close()));
  ui.close.addEventListener("click", close);
  ui.newChat.addEventListener("click", newChat);
  ui.panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  ui.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.form.requestSubmit();
    }
  });
  ui.attach.addEventListener("click", () => ui.filePicker.click());
  ui.filePicker.addEventListener("change", () => {
    if (!ui.filePicker.files) return;
    void tray.add(ui.filePicker.files).then((refusal) => {
      ui.composerNote.textContent = refusal ?? "";
      ui.filePicker.value = "";
    });
  });
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (running) return stop();
    const text = ui.input.value;
    ui.input.value = "";
    // A question asked while the history is still loading goes after it.
    const attachments = tray.take();
    void restored.then(() => send(text, attachments));
  });

  const restored = restore();
  void detectCapabilities({ apiOrigin: options.apiOrigin, fetch: dependencies.fetch }).then((found) => {
    capabilities = found;
    const accepted =
      found.mediaTypes.length > 0 ? found.mediaTypes : [found.attachments.image ? "image/*" : "", found.attachments.audio ? "audio/*" : ""].filter(Boolean);
    ui.filePicker.accept = accepted.join(",");
    ui.attach.hidden = accepted.length === 0;
  });
  if (options.open) open();
  return {
    open,
    close,
    destroy() {
      running?.abort.abort();
      host.remove();
    },
  };
}
