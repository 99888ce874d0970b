// The widget's source cards and citation chips link only http(s) URLs: a source URL from a stored session (whose schema
// the event schema does not cover) or any other path that is javascript:, data: or no URL at all never becomes an href.
// Rendered with linkedom's DOM; the full widget in Chromium is covered by test/browser.
import { parseHTML } from "linkedom";
import { beforeAll, describe, expect, it } from "vitest";

let renderSourceCard: typeof import("../../../workers/widget/client/source-card").renderSourceCard;
let externalLink: typeof import("../../../workers/widget/client/markdown").externalLink;
let turnsFromSession: typeof import("../../../workers/widget/client/conversation").turnsFromSession;

beforeAll(async () => {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");
  Object.assign(globalThis, { document });
  ({ renderSourceCard } = await import("../../../workers/widget/client/source-card"));
  ({ externalLink } = await import("../../../workers/widget/client/markdown"));
  ({ turnsFromSession } = await import("../../../workers/widget/client/conversation"));
});

const HOSTILE = [
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  " javascript:alert(1)",
  "data:text/html,<b>x</b>",
  "vbscript:msgbox",
  "not a url",
  "//evil.example/",
];

describe("source links in the widget", () => {
  it.each(HOSTILE)("renders a source card for %j without an href", (url) => {
    const card = renderSourceCard({ index: 1, url, title: "Title", domain: "evil.example", snippet: "" }, "Source 1");
    const link = card.querySelector("a");
    expect(link).not.toBeNull();
    expect(link?.getAttribute("href")).toBeNull();
    expect(externalLink(url, []).getAttribute("href")).toBeNull();
  });

  it("links http and https sources, opening a new tab without referrer", () => {
    const card = renderSourceCard({ index: 2, url: "https://example.com/a?b=1", title: "Example", domain: "example.com", snippet: "" }, "Source 2");
    const link = card.querySelector("a");
    expect(link?.getAttribute("href")).toBe("https://example.com/a?b=1");
    expect(link?.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(externalLink("http://example.org/", []).getAttribute("href")).toBe("http://example.org/");
  });

  it("shows a stored answer that ended in an error as failed, with its partial text", () => {
    const turns = turnsFromSession({
      id: "s",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "half an an", incomplete: true },
      ],
    });
    expect(turns[1]).toMatchObject({ role: "assistant", text: "half an an", state: "failed" });
  });
});
