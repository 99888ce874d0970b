/**
 * Entry of the widget bundle (an IIFE): defines the one global,
 * `window.MegrezChat`, with `init(options)`, and mounts a widget from the
 * `<script data-site-key …>` tag that loaded it. Without `data-site-key` it
 * only defines the namespace and waits for `init`.
 */
import { mountWidget, type WidgetHandle } from "./widget";
import { optionsFromScript, parseOptions, type WidgetOptionsInput } from "./widget-options";

const script = document.currentScript instanceof HTMLScriptElement ? document.currentScript : undefined;
const scriptOrigin = script ? new URL(script.src, location.href).origin : location.origin;

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/**
 * Mounts a widget; `apiOrigin` defaults to the origin this script came from.
 * @example
 * const chat = MegrezChat.init({ siteKey: "site-key", title: "Ask us", position: "bottom-left" });
 * chat.open();
 */
function init(options: Omit<WidgetOptionsInput, "apiOrigin"> & { apiOrigin?: string }): WidgetHandle {
  const parsed = parseOptions({ apiOrigin: scriptOrigin, ...options });
  if (!parsed.ok) throw new Error(parsed.error);
  const mount = () => mountWidget(parsed.value, { fetch: window.fetch.bind(window), storage: storage() });
  if (document.body) return mount();
  // An async script in <head> can run before <body> exists.
  let handle: WidgetHandle | undefined;
  const pending: Array<(widget: WidgetHandle) => void> = [];
  document.addEventListener("DOMContentLoaded", () => {
    handle = mount();
    for (const action of pending) action(handle);
  });
  const later = (action: (widget: WidgetHandle) => void) => () => (handle ? action(handle) : pending.push(action));
  return { open: later((widget) => widget.open()), close: later((widget) => widget.close()), destroy: later((widget) => widget.destroy()) };
}

const namespace = { init, version: "0.1.0" };
Object.defineProperty(window, "MegrezChat", { value: namespace, configurable: true });

if (script?.dataset.siteKey) {
  const parsed = parseOptions(optionsFromScript(script));
  if (parsed.ok) init(parsed.value);
  else console.error(parsed.error);
}
