/**
 * Media attached to a user message (Megrez-3B-Omni takes one image and one
 * audio clip per message). The agent forwards them as OpenAI content parts
 * and must reserve their tokens itself: the engine's `/tokenize` counts text
 * only, while each image or clip fills hundreds of placeholder positions.
 */

export interface Attachment {
  kind: "image" | "audio";
  /** e.g. `image/png`, `audio/wav`. */
  mediaType: string;
  /** Base64 of the file's bytes (no `data:` prefix). */
  data: string;
}

export interface MediaBudgets {
  imageTokens: number;
  audioTokensPerSecond: number;
  audioMaxTokens: number;
}

/** The `input_audio.format` OpenAI defines for a media type. */
export function audioFormat(mediaType: string): "wav" | "mp3" {
  return /mpeg|mp3/i.test(mediaType) ? "mp3" : "wav";
}

/** Tokens to hold back for the attachments: a fixed count per image, by duration (or the cap) per clip. */
export function mediaTokens(attachments: readonly Attachment[], budgets: MediaBudgets): number {
  let total = 0;
  for (const attachment of attachments) {
    if (attachment.kind === "image") total += budgets.imageTokens;
    else {
      const seconds = audioFormat(attachment.mediaType) === "wav" ? wavSeconds(attachment.data) : undefined;
      const estimate = seconds === undefined ? budgets.audioMaxTokens : Math.ceil(seconds * budgets.audioTokensPerSecond) + 2;
      total += Math.min(budgets.audioMaxTokens, estimate);
    }
  }
  return total;
}

/** Duration of a PCM WAV from its header's byte rate and the payload size; undefined when unreadable. */
function wavSeconds(base64: string): number | undefined {
  let header: string;
  try {
    header = atob(base64.slice(0, 48));
  } catch {
    return undefined;
  }
  if (header.length < 36 || !header.startsWith("RIFF") || header.slice(8, 12) !== "WAVE") return undefined;
  const byteRate = [28, 29, 30, 31].reduce((sum, at, shift) => sum + header.charCodeAt(at) * 2 ** (8 * shift), 0);
  if (byteRate <= 0) return undefined;
  const bytes = Math.floor((base64.replace(/=+$/, "").length * 3) / 4);
  return Math.max(0, bytes - 44) / byteRate;
}
