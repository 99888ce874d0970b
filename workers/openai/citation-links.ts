/**
 * Turns the agent's `[n]` citations into Markdown links `[n](url)` for the
 * OpenAI-compatible answer, incrementally: a marker split across deltas is
 * held back until complete. Each link yields a `url_citation` annotation whose
 * [start_index, end_index) covers the link in the rewritten content
 * (UTF-16 code units). Only indices of known sources become links; the agent
 * has already removed citations of sources that do not exist.
 */

export interface UrlCitation {
  type: "url_citation";
  url_citation: { start_index: number; end_index: number; url: string; title: string };
}

export interface LinkedText {
  text: string;
  annotations: UrlCitation[];
}

/** Longest tail that could still grow into a marker: "[" plus up to 3 digits. */
const PARTIAL_TAIL = /\[\d{0,3}$/;
const MARKER = /\[(\d{1,3})\]/g;

/** Escapes what would end or break a Markdown link destination. */
function markdownUrl(url: string): string {
  return url.replace(/[\s()<>]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

export class CitationLinker {
  private readonly sources = new Map<number, { url: string; title: string }>();
  private held = "";
  /** Length of the rewritten text emitted so far. */
  private offset = 0;

  addSource(index: number, url: string, title: string): void {
    this.sources.set(index, { url, title });
  }

  push(delta: string): LinkedText {
    const text = this.held + delta;
    const tail = PARTIAL_TAIL.exec(text);
    const cut = tail ? tail.index : text.length;
    this.held = text.slice(cut);
    return this.rewrite(text.slice(0, cut));
  }

  /** Flushes a held partial marker at the end of the answer. */
  end(): LinkedText {
    const rest = this.held;
    this.held = "";
    return this.rewrite(rest);
  }

  private rewrite(text: string): LinkedText {
    const annotations: UrlCitation[] = [];
    let out = "";
    let last = 0;
    for (const match of text.matchAll(MARKER)) {
      const source = this.sources.get(Number(match[1]));
      if (!source) continue;
      out += text.slice(last, match.index);
      const link = `[${match[1]}](${markdownUrl(source.url)})`;
      const start = this.offset + out.length;
      annotations.push({
        type: "url_citation",
        url_citation: { start_index: start, end_index: start + link.length, url: source.url, title: source.title },
      });
      out += link;
      last = match.index + match[0].length;
    }
    out += text.slice(last);
    this.offset += out.length;
    return { text: out, annotations };
  }
}
