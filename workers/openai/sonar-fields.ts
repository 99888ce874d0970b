/**
 * Perplexity Sonar's response fields, from the agent's `source` events: `citations` (the URLs) and
 * `search_results` (`title`, `url`, `date`, `snippet`), both in source order, so `citations[n-1]`
 * is the source that `[n]` links to (sources are numbered 1, 2, … across search rounds). A stream
 * sends them once, in the first chunk after they are known, and again (complete) only if a later
 * search round adds sources.
 */
import type { ChatEvent } from "../../agent/events";
import { parsePublishedAt } from "../../search/search-filter";

export interface SonarSearchResult {
  title: string;
  url: string;
  /** Publication date `YYYY-MM-DD` when the provider gave a readable one, else null. */
  date: string | null;
  snippet: string;
}

export interface SonarSourceFields {
  citations: string[];
  search_results: SonarSearchResult[];
}

function isoDate(value: string | undefined, now: number): string | null {
  const time = parsePublishedAt(value, now);
  return time === undefined ? null : new Date(time).toISOString().slice(0, 10);
}

export class SonarSources {
  private readonly byIndex = new Map<number, SonarSearchResult>();
  private sent = 0;

  constructor(private readonly now: () => number = Date.now) {}

  observe(event: ChatEvent): void {
    if (event.type !== "source") return;
    this.byIndex.set(event.index, { title: event.title, url: event.url, date: isoDate(event.date, this.now()), snippet: event.snippet });
  }

  /** Both lists, complete. */
  fields(): SonarSourceFields {
    const results = [...this.byIndex.entries()].sort(([a], [b]) => a - b).map(([, result]) => result);
    return { citations: results.map((result) => result.url), search_results: results };
  }

  /** The lists when sources were added since they were last taken (for one stream chunk), else undefined. */
  takeIfChanged(): SonarSourceFields | undefined {
    if (this.byIndex.size === this.sent) return undefined;
    this.sent = this.byIndex.size;
    return this.fields();
  }
}
