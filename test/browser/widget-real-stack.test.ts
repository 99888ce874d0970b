/**
 * The widget end to end and real: Debian chromium, `wrangler dev` serving the
 * worker, its agent searching the local corpus and reading pages, and the
 * engine process generating the answer (the demo model has random weights:
 * its words are noise, but every event is real). Two embeddings: the demo
 * page the worker serves at `/` (strict CSP), and a customer's page on another
 * origin that embeds `<script src="WORKER/widget.js" data-site-key="customer">`
 * under its own strict CSP (CORS, site key bound to that origin). Reloading
 * either page restores the conversation from the session Durable Object. Screenshots (desktop, phone) go to test-results/widget/.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Stack } from "../../scripts/stack";
import { artifactPath, launchChromium } from "./support/chromium";
import { startRealStack } from "./support/real-stack";
import { startStaticSite, type StaticSite } from "./support/static-site";
import { ask, openWidget, readProgress, recordProgress, snapshot, waitForAnswer, type WidgetSnapshot } from "./support/widget-page";

const workerUrl = "http://127.0.0.1:18401";
let stack: Stack | undefined;
let site: StaticSite | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  const customerPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A customer's site</title><script src="${workerUrl}/widget.js" data-site-key="customer" data-title="Customer help" data-accent="#0f766e" data-position="bottom-left" async></script>
</head><body><h1>A customer's site</h1><p>Embeds the widget from the worker.</p></body></html>`;
  const csp = `default-src 'none'; script-src ${workerUrl}; connect-src ${workerUrl}; style-src 'self'; img-src 'self'`;
  site = await startStaticSite({
    port: 18403,
    files: { "/": { type: "text/html; charset=utf-8", body: customerPage, headers: { "content-security-policy": csp } } },
  });
  stack = await startRealStack({ enginePort: 18402, workerPort: 18401, inspectorPort: 19401, embeddingOrigins: [site.origin] });
  expect(stack.workerUrl).toBe(workerUrl);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await site?.close();
});

async function open(url: string, options: { phone: boolean; colorScheme: "light" | "dark" }): Promise<{ page: Page; problems: string[] }> {
  if (!browser) throw new Error("browser not started");
  const context = await browser.newContext(
    options.phone
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: options.colorScheme }
      : { viewport: { width: 1280, height: 800 }, colorScheme: options.colorScheme },
  );
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    // The browser's own probe for /favicon.ico is not the widget's business.
    if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) problems.push(`${message.text()} ${message.location().url}`);
  });
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(url);
  return { page, problems };
}

/** Asks `question` and checks what a real answer must show; returns the snapshot. */
async function askAndCheck(page: Page, question: string): Promise<WidgetSnapshot> {
  await openWidget(page);
  await recordProgress(page);
  await ask(page, question);
  await waitForAnswer(page, 150_000);
  const progress = await readProgress(page);
  // Renders are coalesced per animation frame, so a short step may be skipped;
  // a search or reading step must still show before the writing step.
  const writing = progress.statuses.indexOf("Writing the answer");
  expect(writing).toBeGreaterThan(0);
  expect(progress.statuses.slice(0, writing).some((status) => status === "Searching…" || /^Reading \d+ of \d+ pages$/.test(status))).toBe(true);
  // The answer grew in several steps: it streamed.
  expect(new Set(progress.lengths.filter((length) => length > 0)).size).toBeGreaterThan(1);

  const answered = await snapshot(page);
  expect(answered.turns.map((turn) => turn.role)).toEqual(["user", "assistant"]);
  expect(answered.turns[0]?.text).toContain(question);
  expect(answered.turns[1]?.text.length).toBeGreaterThan(0);
  expect(answered.sources.length).toBeGreaterThan(0);
  for (const source of answered.sources) {
    expect(source.title.length).toBeGreaterThan(0);
    expect(source.href).toMatch(/^https?:\/\//);
  }
  // Every chip links to one of the answer's sources (the demo model rarely cites on purpose).
  const sourceLinks = new Set(answered.sources.map((source) => source.href));
  for (const chip of answered.chips) expect(sourceLinks.has(chip.href)).toBe(true);
  expect(await page.getByText("Stopped.").count()).toBe(0);
  return answered;
}

async function expectRestoredAfterReload(page: Page, answered: WidgetSnapshot): Promise<void> {
  await page.reload();
  await openWidget(page);
  await page.locator("megrez-chat .turn.assistant .answer").first().waitFor();
  const restored = await snapshot(page);
  expect(restored.turns).toEqual(answered.turns);
  expect(restored.sources.map((source) => source.href).sort()).toEqual(answered.sources.map((source) => source.href).sort());
}

describe("widget against the real worker, agent and engine", () => {
  it("answers on the demo page the worker serves at / (strict CSP), and keeps the conversation across a reload", async () => {
    const { page, problems } = await open(`${workerUrl}/`, { phone: false, colorScheme: "light" });
    const answered = await askAndCheck(page, "How does the agent cite its sources?");
    await page.screenshot({ path: artifactPath("demo-desktop-light.png") });
    await expectRestoredAfterReload(page, answered);
    expect(problems).toEqual([]);
  });

  it("answers on a customer's site on another origin with its bound site key, and keeps the conversation across a reload", async () => {
    const { page, problems } = await open(`${site?.origin}/`, { phone: false, colorScheme: "light" });
    const answered = await askAndCheck(page, "What does the engine serve?");
    await expectRestoredAfterReload(page, answered);
    expect(problems).toEqual([]);
  });

  it("fits a phone screen in the dark colour scheme", async () => {
    const { page, problems } = await open(`${workerUrl}/`, { phone: true, colorScheme: "dark" });
    await askAndCheck(page, "Which model family does the engine serve?");
    expect(await page.getByRole("dialog").boundingBox()).toEqual({ x: 0, y: 0, width: 390, height: 844 });
    await page.screenshot({ path: artifactPath("demo-phone-dark.png") });
    expect(problems).toEqual([]);
  });
});
