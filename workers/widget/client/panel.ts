/**
 * The widget's static DOM inside its shadow root: the floating launcher, and
 * the panel (a non-modal dialog) with its header, the conversation log (an
 * aria-live region) and the composer. Behaviour lives in widget.ts.
 */
import type { Messages } from "./messages";

export interface PanelElements {
  launcher: HTMLButtonElement;
  panel: HTMLElement;
  newChat: HTMLButtonElement;
  close: HTMLButtonElement;
  log: HTMLElement;
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
  /** Shown only when the service accepts attachments (see capabilities.ts). */
  attach: HTMLButtonElement;
  filePicker: HTMLInputElement;
  attachments: HTMLElement;
  composerNote: HTMLElement;
}

const chatIcon = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";

function button(className: string, text: string, label?: string): HTMLButtonElement {
  const node = document.createElement("button");
  node.type = "button";
  node.className = className;
  node.textContent = text;
  if (label) node.setAttribute("aria-label", label);
  return node;
}

function launcherIcon(): SVGSVGElement {
  const namespace = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(namespace, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(namespace, "path");
  path.setAttribute("d", chatIcon);
  svg.append(path);
  return svg;
}

export function buildPanel(root: ShadowRoot, input: { title: string; messages: Messages }): PanelElements {
  const { messages } = input;
  const panelId = "megrez-chat-panel";
  const launcher = button("launcher", "", messages.open);
  launcher.append(launcherIcon());
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", panelId);

  const panel = document.createElement("section");
  panel.id = panelId;
  panel.className = "panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-modal", "false");
  panel.setAttribute("aria-labelledby", "megrez-chat-title");

  const header = document.createElement("header");
  const title = document.createElement("h2");
  title.id = "megrez-chat-title";
  title.textContent = input.title;
  const newChat = button("new-chat", messages.newChat);
  const close = button("close", "✕", messages.close);
  header.append(title, newChat, close);

  const log = document.createElement("div");
  log.className = "log";
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions text");
  log.tabIndex = 0;

  const form = document.createElement("form");
  const inputLabel = document.createElement("label");
  inputLabel.className = "sr-only";
  inputLabel.htmlFor = "megrez-chat-input";
  inputLabel.textContent = messages.placeholder;
  const textArea = document.createElement("textarea");
  textArea.id = "megrez-chat-input";
  textArea.rows = 1;
  textArea.placeholder = messages.placeholder;
  textArea.maxLength = 4000;
  const send = document.createElement("button");
  send.type = "submit";
  send.className = "send";
  send.textContent = messages.send;
  const attach = button("attach", "📎", messages.attach);
  attach.hidden = true;
  const filePicker = document.createElement("input");
  filePicker.type = "file";
  filePicker.hidden = true;
  filePicker.multiple = true;
  form.append(inputLabel, attach, filePicker, textArea, send);

  const attachments = document.createElement("div");
  attachments.className = "attachments";
  attachments.hidden = true;
  const composerNote = document.createElement("div");
  composerNote.className = "composer-note";
  composerNote.setAttribute("role", "status");

  panel.append(header, log, attachments, composerNote, form);
  root.append(panel, launcher);
  return { launcher, panel, newChat, close, log, form, input: textArea, send, attach, filePicker, attachments, composerNote };
}
