/**
 * Drives the widget in a playwright page the way a user does (role and label
 * locators, which pierce the open shadow root) and reads back what it shows.
 */
import type { Page } from "playwright-core";

export interface WidgetSnapshot {
  turns: Array<{ role: "user" | "assistant"; text: string }>;
  sources: Array<{ index: string; title: string; site: string; href: string }>;
  chips: Array<{ text: string; href: string; label: string }>;
  imagesInWidget: number;
  scriptsInWidget: number;
  links: string[];
}

export async function openWidget(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Open chat" }).click();
  await page.getByRole("dialog").waitFor({ state: "visible" });
}

/** Records every progress text and answer length the last answer shows, in the page. */
export async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const root = document.querySelector("megrez-chat")?.shadowRoot;
    if (!root) throw new Error("widget not mounted");
    const seen = { statuses: [] as string[], lengths: [] as number[] };
    Object.assign(window, { __widgetProgress: seen });
    new MutationObserver(() => {
      const last = [...root.querySelectorAll(".turn.assistant")].at(-1);
      const status = last?.querySelector(".status")?.textContent ?? "";
      if (status && seen.statuses.at(-1) !== status) seen.statuses.push(status);
      const length = last?.querySelector(".answer")?.textContent?.length ?? 0;
      if (seen.lengths.at(-1) !== length) seen.lengths.push(length);
    }).observe(root, { subtree: true, childList: true, characterData: true });
  });
}

export async function readProgress(page: Page): Promise<{ statuses: string[]; lengths: number[] }> {
  return page.evaluate(() => Reflect.get(window, "__widgetProgress"));
}

export async function ask(page: Page, question: string): Promise<void> {
  const input = page.getByRole("textbox", { name: "Ask a question…" });
  await input.fill(question);
  await input.press("Enter");
}

/** Waits until the last answer is no longer streaming and its request has ended. */
export async function waitForAnswer(page: Page, timeout: number): Promise<void> {
  await page.locator("megrez-chat .turn.assistant").last().locator('.answer[aria-busy="false"]').waitFor({ timeout });
  await page.locator('megrez-chat .log[aria-busy="false"]').waitFor({ timeout });
}

export async function snapshot(page: Page): Promise<WidgetSnapshot> {
  return page.evaluate(() => {
    const root = document.querySelector("megrez-chat")?.shadowRoot;
    if (!root) throw new Error("widget not mounted");
    const text = (node: Element | null | undefined) => node?.textContent ?? "";
    return {
      turns: [...root.querySelectorAll(".turn")].map((turn) => ({
        role: turn.classList.contains("user") ? ("user" as const) : ("assistant" as const),
        text: text(turn.classList.contains("user") ? turn : turn.querySelector(".answer")),
      })),
      sources: [...root.querySelectorAll(".turn.assistant:last-of-type .source")].map((card) => ({
        index: card.getAttribute("data-index") ?? "",
        title: text(card.querySelector(".title")),
        site: card.querySelector(".site")?.lastChild?.textContent ?? "",
        href: card.querySelector("a")?.getAttribute("href") ?? "",
      })),
      chips: [...root.querySelectorAll(".turn.assistant:last-of-type .answer a.cite")].map((chip) => ({
        text: text(chip),
        href: chip.getAttribute("href") ?? "",
        label: chip.getAttribute("aria-label") ?? "",
      })),
      imagesInWidget: root.querySelectorAll("img").length,
      scriptsInWidget: root.querySelectorAll("script").length,
      links: [...root.querySelectorAll(".answer a")].map((link) => link.getAttribute("href") ?? ""),
    };
  });
}
