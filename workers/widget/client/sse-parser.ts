/**
 * Incremental parser for `text/event-stream` bodies (the WHATWG "event
 * stream interpretation"): feed it decoded text chunks as they arrive and it
 * returns the complete frames. Comment lines (`: keep-alive`) and `retry:`
 * fields are skipped; a frame ends at a blank line, and a frame split across
 * network chunks is kept until its blank line arrives.
 */

export interface SseFrame {
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseParser {
  /** Consumes a chunk and returns every frame it completed. */
  push(chunk: string): SseFrame[];
}

export function createSseParser(): SseParser {
  let buffer = "";
  let id: string | undefined;
  let event = "";
  let data: string[] = [];

  const takeLine = (line: string, frames: SseFrame[]) => {
    if (line === "") {
      if (data.length > 0) frames.push({ id, event: event || "message", data: data.join("\n") });
      event = "";
      data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id") id = value;
  };

  return {
    push(chunk) {
      buffer += chunk;
      const frames: SseFrame[] = [];
      // A trailing "\r" may be the first half of "\r\n": wait for the next chunk.
      const held = buffer.endsWith("\r") ? "\r" : "";
      const lines = (held ? buffer.slice(0, -1) : buffer).split(/\r\n|\r|\n/);
      // The last piece has no line ending yet; keep it for the next chunk.
      buffer = (lines.pop() ?? "") + held;
      for (const line of lines) takeLine(line, frames);
      return frames;
    },
  };
}
