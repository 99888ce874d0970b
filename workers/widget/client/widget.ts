/**
 * Mounts one chat widget: a host element with an open shadow root and the
 * panel, then ties the panel's controls to the chat controller (send, stream,
 * stop, retry, new chat, restore after a reload), keyboard handling and focus.
 */
import { createAttachmentTray, type AttachmentTray } from "./attachments";
import { detectCapabilities, textOnly } from "./capabilities";
import { createChatApi } from "./chat-api";
import { createChatController, type ChatController } from "./chat-controller";
import { messagesFor, type Messages } from "./messages";
import { buildPanel, type PanelElements } from "./panel";
import { createSessionStore } from "./session-store";
import { adoptStyles } from "./styles";
import { createTranscript } from "./transcript";
import type { WidgetOptions } from "./widget-options";

export interface WidgetHandle {
  open(): void;
  close(): void;
  /** Removes the widget from the page and aborts any answer in progress. */
  destroy(): void;
}

type WidgetDependencies = { fetch: typeof fetch; storage: Storage | undefined };

export function mountWidget(options: WidgetOptions, dependencies: WidgetDependencies): WidgetHandle {
  const messages = messagesFor(options.locale);
  const { host, ui } = createHost(options, messages);
  const api = createChatApi({ apiOrigin: options.apiOrigin, siteKey: options.siteKey, fetch: dependencies.fetch });
  const store = createSessionStore({ storage: dependencies.storage, apiOrigin: options.apiOrigin, siteKey: options.siteKey });
  let capabilities = textOnly;
  const tray = createAttachmentTray({ list: ui.attachments, capabilities: () => capabilities, messages });
  const transcript = createTranscript(ui.log, {
    messages,
    onRetry: () => {
      controller.retry();
      ui.input.focus();
    },
  });
  const controller = createChatController({
    api,
    store,
    messages,
    transcript: () => transcript,
    onBusy: (busy) => {
      ui.send.textContent = busy ? messages.stop : messages.send;
      ui.send.classList.toggle("stop", busy);
      ui.log.setAttribute("aria-busy", String(busy));
    },
  });

  const open = () => {
    ui.panel.hidden = false;
    host.dataset.open = "";
    ui.launcher.setAttribute("aria-expanded", "true");
    transcript.scrollToEnd();
    ui.input.focus();
  };
  const close = () => {
    ui.panel.hidden = true;
    delete host.dataset.open;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  };

  const restored = controller.restore();
  bindControls(ui, { controller, tray, restored, open, close });
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
      controller.abort();
      host.remove();
    },
  };
}

/** The `<megrez-chat>` host element, its shadow root with our styles, and the panel inside it. */
function createHost(options: WidgetOptions, messages: Messages): { host: HTMLElement; ui: PanelElements } {
  const host = document.createElement("megrez-chat");
  host.dataset.theme = options.theme;
  host.dataset.position = options.position;
  host.style.setProperty("--mc-accent", options.accent);
  const root = host.attachShadow({ mode: "open" });
  adoptStyles(root);
  const ui = buildPanel(root, { title: options.title, messages });
  (options.container ?? document.body).append(host);
  return { host, ui };
}

interface Controls {
  controller: ChatController;
  tray: AttachmentTray;
  /** Settles when the stored conversation is back on screen. */
  restored: Promise<void>;
  open(): void;
  close(): void;
}

/** The panel's buttons, keys, file picker and form, wired to the controller. */
function bindControls(ui: PanelElements, { controller, tray, restored, open, close }: Controls): void {
  ui.launcher.addEventListener("click", () => (ui.panel.hidden ? open() : close()));
  ui.close.addEventListener("click", close);
  ui.newChat.addEventListener("click", () => {
    controller.newChat();
    ui.input.focus();
  });
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
    if (controller.running) return controller.stop();
    const text = ui.input.value;
    ui.input.value = "";
    // A question asked while the history is still loading goes after it.
    const attachments = tray.take();
    void restored.then(() => controller.send(text, attachments));
  });
}
