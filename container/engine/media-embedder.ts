/**
 * The engine's plug-in point for image and audio input. A media embedder turns chat messages that carry media into
 * prompt token ids plus the embeddings to splice over their placeholder spans; the scheduler then prefills them
 * like any prompt. The engine core knows only this interface: `container/main.ts` injects the Omni towers'
 * embedder (container/omni/), so the core never imports omni/ and omni/ never imports the core.
 */
import type { EmbeddingSplice } from "./embedding-splice";
import type { TextCodec } from "./text-codec";
import type { InferenceSession } from "../runtime/inference-session";

/** An image or audio reference, as the request schema validated it; only the embedder reads its source. */
export type MediaAttachment = { kind: "image" | "audio"; source: { type: "data"; base64: string } | { type: "url"; url: string } };

export type MediaChatMessage = { role: string; content: string; media?: readonly MediaAttachment[] };

export interface MediaPrompt {
  promptIds: number[];
  splices: EmbeddingSplice[];
}

export interface MediaEmbedder {
  /** Prompt ids and splices for `messages` (some carry media). Bad media is a client error the HTTP layer maps to 400. */
  prepare(messages: readonly MediaChatMessage[], addGenerationPrompt: boolean, signal?: AbortSignal): Promise<MediaPrompt>;
  release(): Promise<void>;
}

/** What an embedder gets from the engine when it loads: the model folder, the tokenizer/template, sessions on the engine's device. */
export interface MediaEmbedderContext {
  dir: string;
  codec: TextCodec;
  createSession(path: string): Promise<InferenceSession>;
}

/** Loads the embedder for a model folder, or null when the folder has no media towers (a text-only model). */
export type MediaEmbedderFactory = (context: MediaEmbedderContext) => Promise<MediaEmbedder | null>;
