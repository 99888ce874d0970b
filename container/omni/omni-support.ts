/**
 * The Omni media embedder, a plug-in of the engine (container/main.ts injects `loadOmniEmbedder`; it meets the
 * engine's MediaEmbedder interface by shape, without importing the engine): given validated messages (text + media
 * references), it enforces what the model accepts, fetches/decodes the media, runs the towers and returns prompt ids
 * plus embedding splices for the scheduler. Bad input is an OmniInputError naming the message (the HTTP layer's 400).
 *
 * Rules (the Megrez-3B-Omni demo's): media only in `user` messages, at most one image and one audio per message, and
 * images only in the first user message (the model card: "Please input the images in the first round").
 */
import type { MediaReference } from "./content-parts";
import type { OutboundUrlPolicy } from "../url-guard";
import { DEFAULT_FETCH_LIMITS, guardedFetch, type FetchLimits } from "./guarded-fetch";
import { loadOmniEncoders, type OmniEncoders, type SessionFactory } from "./omni-encoders";
import { isOmniInputError, OmniInputError, type OmniInputErrorCode } from "./omni-input-error";
import { buildOmniPrompt, type OmniChatMessage, type OmniMedia, type OmniPrompt, type SegmentCodec } from "./omni-prompt";

export type MessageWithMedia = { role: string; content: string; media?: readonly MediaReference[] };

export type OmniSupportOptions = { fetchPolicy: OutboundUrlPolicy; fetchLimits: FetchLimits };

const DEFAULT_OPTIONS: OmniSupportOptions = { fetchPolicy: {}, fetchLimits: DEFAULT_FETCH_LIMITS };

function invalid(message: string, param: string, code: OmniInputErrorCode = "unsupported_content"): OmniInputError {
  return new OmniInputError(code, message, param);
}

/** Checks the per-message rules; throws a 400 naming the offending message. */
export function checkMediaRules(messages: readonly MessageWithMedia[]): void {
  const firstUser = messages.findIndex((message) => message.role === "user");
  messages.forEach((message, index) => {
    const media = message.media ?? [];
    if (media.length === 0) return;
    const param = `messages.${index}.content`;
    if (message.role !== "user")
      throw invalid(`messages[${index}]: images and audio are accepted in user messages only (this one is "${message.role}").`, param);
    const images = media.filter((item) => item.kind === "image").length;
    const audios = media.length - images;
    if (images > 1 || audios > 1)
      throw invalid(`messages[${index}]: at most one image and one audio per message (got ${images} images, ${audios} audio clips).`, param, "too_many_media");
    if (images > 0 && index !== firstUser) {
      throw invalid(`messages[${index}]: Megrez-3B-Omni takes images in the first user message only; put the image in messages[${firstUser}].`, param);
    }
  });
}

export class OmniSupport {
  constructor(
    readonly encoders: OmniEncoders,
    private readonly codec: SegmentCodec,
    private readonly options: OmniSupportOptions = DEFAULT_OPTIONS,
  ) {}

  /** Null when the model folder has no Omni towers. */
  /** `codec` is the engine's TextCodec: prompts with media are encoded by the same anti-forgery rule as text. */
  static async load(
    dir: string,
    codec: SegmentCodec,
    createSession: SessionFactory,
    options: OmniSupportOptions = DEFAULT_OPTIONS,
  ): Promise<OmniSupport | null> {
    const encoders = await loadOmniEncoders(dir, createSession);
    return encoders === null ? null : new OmniSupport(encoders, codec, options);
  }

  private async bytesOf(reference: MediaReference, param: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
    if (reference.source.type === "url") {
      return guardedFetch(reference.source.url, { policy: this.options.fetchPolicy, limits: this.options.fetchLimits, ...(signal ? { signal } : {}) });
    }
    const bytes = new Uint8Array(Buffer.from(reference.source.base64, "base64"));
    const code = reference.kind === "image" ? "invalid_image" : "invalid_audio";
    if (bytes.byteLength === 0) throw invalid(`the ${reference.kind} data is empty`, param, code);
    if (bytes.byteLength > this.options.fetchLimits.maxBytes)
      throw invalid(
        `the ${reference.kind} is larger than ${this.options.fetchLimits.maxBytes} bytes`,
        param,
        reference.kind === "image" ? "image_too_large" : "audio_too_long",
      );
    return bytes;
  }

  async prepare(messages: readonly MessageWithMedia[], addGenerationPrompt: boolean, signal?: AbortSignal): Promise<OmniPrompt> {
    checkMediaRules(messages);
    const resolved: OmniChatMessage[] = [];
    for (const [index, message] of messages.entries()) {
      const media: OmniMedia[] = [];
      for (const reference of message.media ?? []) {
        const param = `messages.${index}.content`;
        try {
          media.push({ kind: reference.kind, bytes: await this.bytesOf(reference, param, signal) });
        } catch (error) {
          throw isOmniInputError(error) ? invalid(`messages[${index}]: ${error.message}`, param, error.code) : error;
        }
      }
      resolved.push({ role: message.role, text: message.content, media });
    }
    try {
      return await buildOmniPrompt(resolved, this.encoders, this.codec, addGenerationPrompt);
    } catch (error) {
      if (isOmniInputError(error))
        throw invalid(`${error.code === "invalid_audio" || error.code === "audio_too_long" ? "audio" : "image"}: ${error.message}`, "messages", error.code);
      throw error;
    }
  }

  release(): Promise<void> {
    return this.encoders.release();
  }
}

/**
 * The engine's media-embedder factory for Omni model folders: null when the folder has no towers.
 *
 * @example
 *   const engine = await createEngine({ ...options, mediaEmbedder: loadOmniEmbedder });
 */
export function loadOmniEmbedder(
  context: { dir: string; codec: SegmentCodec; createSession: SessionFactory },
  options: OmniSupportOptions = DEFAULT_OPTIONS,
): Promise<OmniSupport | null> {
  return OmniSupport.load(context.dir, context.codec, context.createSession, options);
}

/**
 * The Omni factory with its image/audio fetch policy: `allowHosts` are the private hosts (ENGINE_FETCH_ALLOW_HOSTS)
 * that URLs may reach beside public addresses.
 *
 * @example
 *   const engine = await createEngine({ ...options, mediaEmbedder: omniEmbedderAllowing(["media.internal:8443"]) });
 */
export function omniEmbedderAllowing(
  allowHosts: readonly string[],
): (context: { dir: string; codec: SegmentCodec; createSession: SessionFactory }) => Promise<OmniSupport | null> {
  return (context) => loadOmniEmbedder(context, { fetchPolicy: { allowHosts }, fetchLimits: DEFAULT_FETCH_LIMITS });
}
