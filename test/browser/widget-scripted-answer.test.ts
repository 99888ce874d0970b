/**
 * The widget in chromium, loaded from the real worker (`wrangler dev`), talking
 * to a scripted test double of the chat endpoints (the demo model's random
 * weights cannot produce a known answer, citations or hostile titles on
 * purpose). Covers rendering, sanitizing, persistence, stop/retry, keyboard,
 * host-page CSS isolation and CSP, and saves desktop and phone screenshots.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactPath, launchChromium } from "./support/chromium";
import { hostileTitle, startFakeChatBackend, type FakeChatBackend } from "../support/fake-chat-backend";
import { ask, openWidget, readProgress, recordProgress, snapshot, waitForAnswer } from "./support/widget-page";
import { startWorkerOnly, type RunningWorker } from "./support/worker-only";

let worker: RunningWorker | undefined;
let backend: FakeChatBackend | undefined;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

const aggressiveCss = `
* { all: revert !important; font: 40px/3 "Comic Sans MS", serif !important; color: red !important;
    background: yellow !important; letter-spacing: 6px !important; box-sizing: content-box !important; }
div, section, button, form, textarea, header, ul, li, a, span, p { display: inline !important; margin: 30px !important; padding: 30px !important; border: 9px dashed lime !important; }
megrez-chat { display: none !important; position: static !important; transform: scale(.2) !important; zoom: 3 !important; }
body * { position: relative !important; top: 100px !important; }
`;

function hostPage(input: { workerUrl: string; stylesheet: boolean; script?: string }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${input.stylesheet ? '<link rel="stylesheet" href="/aggressive.css">' : ""}<title>host</title></head>
<body><h1>A host page</h1><p>Some content.</p>
<script src="${input.workerUrl}/widget.js"></script><script src="${input.script ?? "/page.js"}"></script></body></html>`;
}

beforeAll(async () => {
  worker = await startWorkerOnly({ workerPort: 18411, inspectorPort: 19411 });
  backend = await startFakeChatBackend({ frameDelayMs: 25 });
  // The host pages run under a strict policy too: the widget needs no inline script or style.
  const csp = `default-src 'none'; script-src 'self' ${worker.workerUrl}; style-src 'self'; connect-src 'self'; img-src 'self' data:`;
  const html = "text/html; charset=utf-8";
  backend.serve("/plain", { type: html, body: hostPage({ workerUrl: worker.workerUrl, stylesheet: false }), headers: { "content-security-policy": csp } });
  backend.serve("/aggressive", { type: html, body: hostPage({ workerUrl: worker.workerUrl, stylesheet: true }), headers: { "content-security-policy": csp } });
  backend.serve("/bare", { type: html, body: "<!doctype html><html><body><h1>A host page</h1></body></html>", headers: { "content-security-policy": csp } });
  backend.serve("/dark-left", {
    type: html,
    body: hostPage({ workerUrl: worker.workerUrl, stylesheet: false, script: "/dark-left.js" }),
    headers: { "content-security-policy": csp },
  });
  backend.serve("/dark-left.js", {
    type: "text/javascript",
    body: `MegrezChat.init({ siteKey: "test-key", apiOrigin: location.origin, title: "聊天", theme: "dark", position: "bottom-left", locale: "zh-CN", accent: "#0f766e" });`,
  });
  backend.serve("/page.js", { type: "text/javascript", body: `MegrezChat.init({ siteKey: "test-key", apiOrigin: location.origin, title: "Test chat" });` });
  backend.serve("/aggressive.css", { type: "text/css", body: aggressiveCss });
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await backend?.close();
  await worker?.stop();
});

async function newPage(options: { phone?: boolean; dark?: boolean } = {}): Promise<{ page: Page; problems: string[] }> {
  if (!browser) throw new Error("browser not started");
  const context = await browser.newContext(
    options.phone
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: options.dark ? "dark" : "light" }
      : { viewport: { width: 1280, height: 800 }, colorScheme: options.dark ? "dark" : "light" },
  );
  contexts.push(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    // The browser's own probe for /favicon.ico is not the widget's business.
    if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) problems.push(`${message.text()} ${message.location().url}`);
  });
  page.on("pageerror", (error) => problems.push(error.message));
  return { page, problems };
}

describe("widget with a scripted answer", () => {
  it("streams the answer with status steps, source cards and citation chips", async () => {
    const { page, problems } = await newPage();
    await page.goto(`${backend?.origin}/plain`);
    await openWidget(page);
    await recordProgress(page);
    await ask(page, "What is the capital of France?");
    await waitForAnswer(page, 20_000);

    const progress = await readProgress(page);
    expect(progress.statuses).toEqual(expect.arrayContaining(["Searching…", "Reading 2 of 2 pages", "Writing the answer"]));
    expect(progress.statuses.indexOf("Searching…")).toBeLessThan(progress.statuses.indexOf("Writing the answer"));
    // The answer grew in many steps: it streamed, it did not arrive at once.
    expect(new Set(progress.lengths.filter((length) => length > 0)).size).toBeGreaterThan(5);

    const shown = await snapshot(page);
    expect(shown.turns.map((turn) => turn.role)).toEqual(["user", "assistant"]);
    expect(shown.turns[0]?.text).toContain("What is the capital of France?");
    expect(shown.sources).toEqual([
      { index: "1", title: "Paris — Wikipedia", site: "1 · example.org", href: "https://example.org/paris" },
      { index: "2", title: hostileTitle, site: "2 · evil.example", href: "https://evil.example/page" },
    ]);
    expect(shown.chips.map((chip) => [chip.text, chip.href])).toEqual([
      ["1", "https://example.org/paris"],
      ["2", "https://evil.example/page"],
      ["1", "https://example.org/paris"],
      ["1", "https://example.org/paris"],
      ["2", "https://evil.example/page"],
    ]);
    expect(shown.chips[0]?.label).toBe("Source 1: Paris — Wikipedia");
    const answer = page.locator("megrez-chat .turn.assistant .answer");
    await expect(answer.locator("strong").first().textContent()).resolves.toBe("Paris");
    expect(await answer.locator("li").count()).toBe(2);
    expect(backend?.requests.find((request) => request.path === "/api/chat")?.siteKey).toBe("test-key");
    expect(problems).toEqual([]);
  });

  it("adds one global, MegrezChat, to the host page, even after answering", async () => {
    const globals = (page: Page) => page.evaluate(() => Object.getOwnPropertyNames(window));
    const bare = await newPage();
    await bare.page.goto(`${backend?.origin}/bare`);
    const before = new Set(await globals(bare.page));
    const { page } = await newPage();
    await page.goto(`${backend?.origin}/plain`);
    await openWidget(page);
    await ask(page, "Any globals?");
    await waitForAnswer(page, 20_000);
    expect((await globals(page)).filter((name) => !before.has(name))).toEqual(["MegrezChat"]);
  });

  it("renders hostile titles and markup in the answer as text", async () => {
    const { page } = await newPage();
    await page.goto(`${backend?.origin}/plain`);
    await openWidget(page);
    await ask(page, "Tell me about the hostile page");
    await waitForAnswer(page, 20_000);
    const shown = await snapshot(page);
    expect(shown.sources[1]?.title).toBe(hostileTitle);
    expect(shown.turns.at(-1)?.text).toContain("<script>window.__megrezPwned=2</script>");
    expect(shown.imagesInWidget).toBe(0);
    expect(shown.scriptsInWidget).toBe(0);
    // A javascript: link stays text; only http(s) links and chips become anchors.
    expect(shown.turns.at(-1)?.text).toContain("[not a link](javascript:alert(1))");
    expect(shown.links.every((href) => href.startsWith("https://"))).toBe(true);
    expect(await page.evaluate(() => Reflect.get(window, "__megrezPwned"))).toBeUndefined();
  });
});

describe("widget behaviour", () => {
  it("keeps the conversation across a reload (session id in localStorage, history from the server)", async () => {
    const { page } = await newPage();
    await page.goto(`${backend?.origin}/plain`);
    await openWidget(page);
    await ask(page, "Remember me?");
    await waitForAnswer(page, 20_000);
    const before = await snapshot(page);
    await page.reload();
    await openWidget(page);
    await page.locator("megrez-chat .turn.user").first().waitFor();
    const after = await snapshot(page);
    expect(after.turns).toEqual(before.turns);
    expect(after.chips.map((chip) => chip.href)).toEqual(before.chips.map((chip) => chip.href));
    expect(after.sources.map((source) => source.title)).toEqual(["Paris — Wikipedia", hostileTitle]);
    const sessionRequests = backend?.requests.filter((request) => request.path.startsWith("/api/sessions/")) ?? [];
    expect(sessionRequests.at(-1)?.siteKey).toBe("test-key");
  });

  it("stops an answer, retries it, and starts a new chat", async () => {
    const { page } = await newPage();
    await page.goto(`${backend?.origin}/plain`);
    await openWidget(page);
    await ask(page, "[slow] Stop me");
    await page.locator("megrez-chat .turn.assistant .answer").filter({ hasText: "Paris" }).waitFor();
    await page.getByRole("button", { name: "Stop" }).click();
    await page.getByText("Stopped.").waitFor();
    const stopped = await snapshot(page);
    expect(stopped.turns.at(-1)?.text).not.toContain("Seine");
    await page.waitForTimeout(600);
    expect((await snapshot(page)).turns.at(-1)?.text).toBe(stopped.turns.at(-1)?.text);

    await page.getByRole("button", { name: "Retry" }).click();
    await waitForAnswer(page, 40_000);
    const retried = await snapshot(page);
    expect(retried.turns.map((turn) => turn.role)).toEqual(["user", "assistant"]);
    expect(retried.turns[0]?.text).toContain("[slow] Stop me");
    expect(retried.turns[1]?.text).toContain("It lies on the Seine");
    expect(await page.getByRole("button", { name: "Retry" }).count()).toBe(0);

    await page.getByRole("button", { name: "New chat" }).click();
    expect((await snapshot(page)).turns).toEqual([]);
    const stored = await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith("megrez-chat:")));
    expect(stored).toEqual([]);
  });

  it("resumes an answer whose stream was cut, after the last event it received", async () => {
    const { page } = await newPage();
    await page.goto(`${backend?.origin}/plain`);
    await openWidget(page);
    await ask(page, "[cut] Keep going");
    await waitForAnswer(page, 20_000);
    const cut = (await snapshot(page)).turns.at(-1)?.text;
    expect(cut).toContain("It lies on the Seine");
    expect(cut).not.toContain("interrupted");
    // No text was applied twice.
    expect(cut?.match(/One page tried/g)).toHaveLength(1);
    // The backend wrote events 1–14 before it cut the connection. How many of them reach the page is the browser's
    // business: a fetch body that fails drops the chunks it had queued but the page had not read yet (Streams: erroring
    // a stream empties its queue), so under load the widget may have applied only up to 13. Whatever it applied, it
    // resumes right after it: the resumed answer neither skips nor repeats an event, so it reads exactly like an
    // answer that was never cut.
    const resume = backend?.requests.filter((request) => request.path.endsWith("/stream")).at(-1);
    expect(Number(resume?.lastEventId)).toBeGreaterThanOrEqual(11);
    expect(Number(resume?.lastEventId)).toBeLessThanOrEqual(14);
    expect(resume?.siteKey).toBe("test-key");
    await ask(page, "The same again, uncut");
    await page.locator("megrez-chat .turn.assistant").nth(1).waitFor({ timeout: 20_000 });
    await waitForAnswer(page, 20_000);
    const answers = (await snapshot(page)).turns.filter((turn) => turn.role === "assistant");
    expect(answers).toHaveLength(2);
    expect(answers[1]?.text).toBe(cut);
  });

  it("works from the keyboard: open, type, send, Escape returns focus to the launcher", async () => {
    const { page } = await newPage();
    await page.goto(`${backend?.origin}/plain`);
    await page.getByRole("button", { name: "Open chat" }).focus();
    await page.keyboard.press("Enter");
    const focusedId = () => page.evaluate(() => document.querySelector("megrez-chat")?.shadowRoot?.activeElement?.id ?? "");
    expect(await focusedId()).toBe("megrez-chat-input");
    await page.keyboard.type("Keyboard question");
    await page.keyboard.press("Enter");
    await waitForAnswer(page, 20_000);
    const log = page.getByRole("log");
    expect(await log.getAttribute("aria-live")).toBe("polite");
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "hidden" });
    const launcherFocused = await page.evaluate(() => document.querySelector("megrez-chat")?.shadowRoot?.activeElement?.classList.contains("launcher"));
    expect(launcherFocused).toBe(true);
    expect(await page.getByRole("button", { name: "Open chat" }).getAttribute("aria-expanded")).toBe("false");
  });

  it("is not changed by a host page with aggressive global CSS", async () => {
    const measure = async (path: string) => {
      const { page, problems } = await newPage();
      await page.goto(`${backend?.origin}${path}`);
      const launcher = await page.getByRole("button", { name: "Open chat" }).boundingBox();
      await openWidget(page);
      await ask(page, "Style check");
      await waitForAnswer(page, 20_000);
      const styles = await page.evaluate(() => {
        const root = document.querySelector("megrez-chat")?.shadowRoot;
        const pick = (selector: string) => {
          const node = root?.querySelector(selector);
          if (!node) return undefined;
          const style = getComputedStyle(node);
          const box = node.getBoundingClientRect();
          return [
            style.fontSize,
            style.fontFamily,
            style.color,
            style.backgroundColor,
            style.letterSpacing,
            style.display,
            Math.round(box.width),
            Math.round(box.height),
            Math.round(box.x),
            Math.round(box.y),
          ].join("|");
        };
        return Object.fromEntries(
          [".panel", "header h2", ".log", ".answer p", ".source a", ".cite", "textarea", ".send"].map((selector) => [selector, pick(selector)]),
        );
      });
      return { launcher, styles, problems };
    };
    const plain = await measure("/plain");
    const aggressive = await measure("/aggressive");
    expect(aggressive.launcher).toEqual(plain.launcher);
    expect(aggressive.styles).toEqual(plain.styles);
    expect(Object.values(plain.styles).every((value) => value !== undefined)).toBe(true);
    expect(aggressive.problems).toEqual([]);
  });

  it("takes theme, position, locale and accent from init options", async () => {
    const { page, problems } = await newPage({ dark: false });
    await page.goto(`${backend?.origin}/dark-left`);
    const launcher = await page.getByRole("button", { name: "打开对话" }).boundingBox();
    expect(launcher?.x).toBeLessThan(100);
    await page.getByRole("button", { name: "打开对话" }).click();
    const colours = await page.evaluate(() => {
      const root = document.querySelector("megrez-chat")?.shadowRoot;
      const style = (selector: string) => {
        const node = root?.querySelector(selector);
        return node ? getComputedStyle(node) : undefined;
      };
      return { panel: style(".panel")?.backgroundColor, header: style("header")?.backgroundColor };
    });
    expect(colours).toEqual({ panel: "rgb(17, 24, 39)", header: "rgb(15, 118, 110)" });
    expect(await page.getByRole("textbox", { name: "请输入问题…" }).count()).toBe(1);
    expect(problems).toEqual([]);
  });

  it("offers no attachments when the service takes none", async () => {
    const { page } = await newPage();
    await page.goto(`${backend?.origin}/plain`);
    await openWidget(page);
    await expect.poll(() => backend?.requests.some((request) => request.path === "/widget/capabilities")).toBe(true);
    await page.waitForTimeout(200);
    expect(await page.getByRole("button", { name: "Attach a file" }).isVisible()).toBe(false);
  });

  it("attaches an image when the service takes images, refusing other files and oversized ones", async () => {
    const media = await startFakeChatBackend({ frameDelayMs: 5, attachments: { image: true, audio: false } });
    try {
      const csp = `default-src 'none'; script-src 'self' ${worker?.workerUrl}; style-src 'self'; connect-src 'self'`;
      media.serve("/plain", {
        type: "text/html; charset=utf-8",
        body: hostPage({ workerUrl: worker?.workerUrl ?? "", stylesheet: false }),
        headers: { "content-security-policy": csp },
      });
      media.serve("/page.js", { type: "text/javascript", body: `MegrezChat.init({ siteKey: "media-key", apiOrigin: location.origin });` });
      const { page, problems } = await newPage();
      await page.goto(`${media.origin}/plain`);
      await openWidget(page);
      const attach = page.getByRole("button", { name: "Attach a file" });
      await attach.waitFor({ state: "visible" });
      const pixel = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
      await page.locator("megrez-chat input[type=file]").setInputFiles([
        { name: "pixel.png", mimeType: "image/png", buffer: pixel },
        { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("text") },
        { name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(2000) },
      ]);
      await page.getByText("Not attached (type or size not accepted): notes.txt, huge.png").waitFor();
      expect(await page.locator("megrez-chat .attachment").allTextContents()).toEqual(["pixel.png✕"]);
      await ask(page, "What is in this picture?");
      await waitForAnswer(page, 20_000);
      const sent = media.requests.find((request) => request.path === "/api/chat");
      expect(JSON.parse(sent?.body ?? "{}")).toMatchObject({
        message: "What is in this picture?",
        attachments: [{ kind: "image", mediaType: "image/png", data: pixel.toString("base64") }],
      });
      expect((await snapshot(page)).turns[0]?.text).toContain("📎 pixel.png");
      expect(await page.locator("megrez-chat .attachment").count()).toBe(0);
      expect(problems).toEqual([]);
    } finally {
      await media.close();
    }
  });

  it("fits a phone screen and follows the dark colour scheme; saves screenshots", async () => {
    const desktop = await newPage();
    await desktop.page.goto(`${backend?.origin}/plain`);
    await openWidget(desktop.page);
    await ask(desktop.page, "What is the capital of France?");
    await waitForAnswer(desktop.page, 20_000);
    await desktop.page.screenshot({ path: artifactPath("scripted-desktop-light.png") });

    const phone = await newPage({ phone: true, dark: true });
    await phone.page.goto(`${backend?.origin}/plain`);
    await openWidget(phone.page);
    await ask(phone.page, "What is the capital of France?");
    await waitForAnswer(phone.page, 20_000);
    const panel = await phone.page.getByRole("dialog").boundingBox();
    expect(panel).toEqual({ x: 0, y: 0, width: 390, height: 844 });
    const background = await phone.page.evaluate(() => {
      const panelElement = document.querySelector("megrez-chat")?.shadowRoot?.querySelector(".panel");
      return panelElement ? getComputedStyle(panelElement).backgroundColor : "";
    });
    expect(background).toBe("rgb(17, 24, 39)");
    await phone.page.screenshot({ path: artifactPath("scripted-phone-dark.png") });
  });
});
