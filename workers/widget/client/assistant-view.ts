/**
 * The DOM of one assistant answer, updated in place as events arrive: the
 * progress line, source cards (appended as each source arrives, never
 * rebuilt, so keyboard focus on a card survives), the answer with citation
 * chips, and the stopped/failed notice with its Retry button.
 */
import type { AssistantTurn } from "./conversation";
import { renderMarkdown, externalLink } from "./markdown";
import { progressText, type Messages } from "./messages";
import { renderSourceCard } from "./source-card";

export interface AssistantView {
  element: HTMLElement;
  update(turn: AssistantTurn): void;
}

function div(className: string): HTMLDivElement {
  const node = document.createElement("div");
  node.className = className;
  return node;
}

export function createAssistantView(input: { messages: Messages; onRetry: () => void }): AssistantView {
  const { messages } = input;
  const element = div("turn assistant");
  const label = document.createElement("span");
  label.className = "sr-only";
  label.textContent = `${messages.assistant}:`;
  const status = div("status");
  status.setAttribute("role", "status");
  const sources = document.createElement("ul");
  sources.className = "sources";
  sources.setAttribute("aria-label", messages.sources);
  const answer = div("answer");
  const notice = div("notice");
  element.append(label, status, sources, answer, notice);
  let renderedText: string | undefined;
  let renderedSources = 0;

  return {
    element,
    update(turn) {
      status.hidden = !turn.progress;
      status.textContent = turn.progress ? progressText(messages, turn.progress) : "";
      for (const source of turn.sources.values()) {
        if (sources.querySelector(`[data-index="${source.index}"]`)) continue;
        sources.append(renderSourceCard(source, messages.sourceLabel(source.index, source.title)));
      }
      sources.hidden = turn.sources.size === 0;
      if (turn.text !== renderedText || turn.sources.size !== renderedSources) {
        answer.replaceChildren(
          renderMarkdown(turn.text, (index) => {
            const source = turn.sources.get(index);
            if (!source) return undefined;
            const chip = externalLink(source.url, [document.createTextNode(String(index))]);
            chip.className = "cite";
            chip.setAttribute("aria-label", messages.sourceLabel(index, source.title));
            return chip;
          }),
        );
        renderedText = turn.text;
        renderedSources = turn.sources.size;
      }
      answer.setAttribute("aria-busy", String(turn.state === "streaming"));
      notice.replaceChildren();
      if (turn.state === "done" && turn.failure) notice.append(document.createTextNode(turn.failure.message));
      if (turn.state === "stopped" || turn.state === "failed") {
        const text = turn.state === "stopped" ? messages.stopped : (turn.failure?.message ?? messages.failed);
        notice.append(document.createTextNode(text));
        if (turn.state === "stopped" || turn.failure?.retryable !== false) {
          const retry = document.createElement("button");
          retry.type = "button";
          retry.className = "retry";
          retry.textContent = messages.retry;
          retry.addEventListener("click", input.onRetry);
          notice.append(retry);
        }
      }
    },
  };
}
