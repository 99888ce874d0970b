/**
 * The chat route's checks for image/audio parts: whether a request carries any, and the clear 400 a text-only
 * engine (no media embedder) answers instead of silently dropping them.
 */
import { EngineError } from "../engine/engine-errors";
import type { MediaChatMessage } from "../engine/media-embedder";

export function hasMedia(messages: readonly MediaChatMessage[]): boolean {
  return messages.some((message) => (message.media?.length ?? 0) > 0);
}

export function rejectMedia(messages: readonly MediaChatMessage[]): void {
  const index = messages.findIndex((message) => (message.media?.length ?? 0) > 0);
  if (index !== -1)
    throw new EngineError(
      "invalid_request",
      `messages[${index}]: this model does not accept images or audio (its folder has no Omni towers).`,
      `messages.${index}.content`,
    );
}
