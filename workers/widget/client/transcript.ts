/**
 * The conversation log's DOM: a user's bubble (text plus attachment names) and
 * an assistant turn's view, appended in order, and scrolling to the end.
 */
import type { Attachment } from "./attachments";
import { createAssistantView, type AssistantView } from "./assistant-view";
import type { AssistantTurn } from "./conversation";
import type { Messages } from "./messages";

export interface Transcript {
  appendUser(text: string, attachments: readonly Attachment[]): void;
  appendAssistant(turn: AssistantTurn): AssistantView;
  /** Removes the last `count` entries (a retried question and its answer). */
  removeLast(count: number): void;
  clear(): void;
  scrollToEnd(): void;
  /** True when the reader is at (or near) the end, so new text should keep it there. */
  nearEnd(): boolean;
}

export function createTranscript(log: HTMLElement, options: { messages: Messages; onRetry: () => void }): Transcript {
  const { messages } = options;
  return {
    appendUser(text, attachments) {
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
      log.append(bubble);
    },
    appendAssistant(turn) {
      const view = createAssistantView({ messages, onRetry: options.onRetry });
      view.update(turn);
      log.append(view.element);
      return view;
    },
    removeLast(count) {
      for (let i = 0; i < count; i++) log.lastElementChild?.remove();
    },
    clear() {
      log.replaceChildren();
    },
    scrollToEnd() {
      log.scrollTop = log.scrollHeight;
    },
    nearEnd() {
      return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    },
  };
}
