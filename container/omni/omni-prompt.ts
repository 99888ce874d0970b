/**
 * Turns chat messages with images/audio into prompt token ids plus the embeddings that overwrite the placeholder
 * spans. Per user message the layout is (our choice; Megrez's own processor file is not public):
 *   <|image_start|> 64×<|image_pad|> <|image_end|>              overview slice
 *   (<|slice_start|> 64×<|image_pad|> <|slice_end|>)×cols "\n"  each grid row
 *   <|audio_start|> (n+2)×<|audio_pad|> <|audio_end|>           BOS, n pooled frames, EOS
 *   text
 * As in the reference model, image embeddings fill the pad span of each slice and audio embeddings fill the span
 * between the audio boundary tokens. Placeholder ids come only from here: message text is encoded without
 * special-token parsing, so a user cannot spell a pad token to misplace embeddings.
 */
import { preprocessAudio } from "./audio-preprocess";
import { preprocessImage, MEGREZ_IMAGE_OPTIONS } from "./image-preprocess";
import type { OmniEncoders } from "./omni-encoders";

export type OmniMedia = { kind: "image"; bytes: Uint8Array } | { kind: "audio"; bytes: Uint8Array };

export type OmniChatMessage = { role: string; text: string; media: readonly OmniMedia[] };

/** A message content piece: text (encoded as plain text) or token ids placed verbatim (the engine codec's shape). */
export type ContentSegment = string | { tokenIds: readonly number[] };

/** What the prompt builder needs from the engine's tokenizer/template. */
export interface SegmentCodec {
  encodeChatSegments(messages: readonly { role: string; content: readonly ContentSegment[] }[], addGenerationPrompt: boolean): number[];
  encodePlainText(text: string): number[];
  tokenId(token: string): number | undefined;
}

/** Rows of embeddings that replace `values.length / hidden` prompt positions starting at `offset` (the engine splices them in). */
export type EmbeddingSplice = { offset: number; values: Float32Array };

export type OmniPrompt = {
  promptIds: number[];
  splices: EmbeddingSplice[];
  imageTokens: number;
  audioTokens: number;
  timings: { preprocessMs: number; encodeMs: number };
};

type PlaceholderIds = Record<keyof OmniEncoders["config"]["tokens"], number>;

function placeholderIds(encoders: OmniEncoders, codec: SegmentCodec): PlaceholderIds {
  const entries = Object.entries(encoders.config.tokens).map(([key, token]) => {
    const id = codec.tokenId(token);
    if (id === undefined) throw new Error(`the tokenizer has no ${token} token (needed for Omni placeholders)`);
    return [key, id] as const;
  });
  return Object.fromEntries(entries) as PlaceholderIds;
}

const repeat = (id: number, count: number): number[] => new Array<number>(count).fill(id);

function findRuns(ids: readonly number[], padId: number): { start: number; length: number }[] {
  const runs: { start: number; length: number }[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== padId) continue;
    const start = i;
    while (i < ids.length && ids[i] === padId) i++;
    runs.push({ start, length: i - start });
  }
  return runs;
}

export async function buildOmniPrompt(
  messages: readonly OmniChatMessage[],
  encoders: OmniEncoders,
  codec: SegmentCodec,
  addGenerationPrompt = true,
): Promise<OmniPrompt> {
  const ids = placeholderIds(encoders, codec);
  const hidden = encoders.config.vision.outputSize;
  const queries = encoders.config.vision.queryCount;
  const imageEmbeddings: Float32Array[] = [];
  const audioEmbeddings: Float32Array[] = [];
  const timings = { preprocessMs: 0, encodeMs: 0 };
  const imageOptions = { ...MEGREZ_IMAGE_OPTIONS, maxSliceNums: encoders.config.maxSliceNums, scaleResolution: encoders.config.scaleResolution };
  const rendered: { role: string; content: ContentSegment[] }[] = [];
  for (const message of messages) {
    const content: ContentSegment[] = [];
    for (const media of message.media) {
      let started = performance.now();
      if (media.kind === "image") {
        const inputs = await preprocessImage(media.bytes, imageOptions);
        timings.preprocessMs += performance.now() - started;
        started = performance.now();
        const embeddings = await encoders.encodeImage(inputs);
        timings.encodeMs += performance.now() - started;
        for (let slice = 0; slice < inputs.slices.length; slice++)
          imageEmbeddings.push(embeddings.subarray(slice * queries * hidden, (slice + 1) * queries * hidden));
        const tokens = [ids.imageStart, ...repeat(ids.imagePad, queries), ids.imageEnd];
        if (inputs.plan.grid !== null) {
          const newline = codec.encodePlainText("\n");
          const [columns, rows] = inputs.plan.grid;
          for (let row = 0; row < rows; row++) {
            for (let column = 0; column < columns; column++) tokens.push(ids.sliceStart, ...repeat(ids.imagePad, queries), ids.sliceEnd);
            tokens.push(...newline);
          }
        }
        content.push({ tokenIds: tokens });
      } else {
        const inputs = await preprocessAudio(media.bytes);
        timings.preprocessMs += performance.now() - started;
        started = performance.now();
        audioEmbeddings.push(await encoders.encodeAudio(inputs));
        timings.encodeMs += performance.now() - started;
        content.push({ tokenIds: [ids.audioStart, ...repeat(ids.audioPad, inputs.spanTokens), ids.audioEnd] });
      }
    }
    content.push(message.text);
    rendered.push({ role: message.role, content });
  }
  const promptIds = codec.encodeChatSegments(rendered, addGenerationPrompt);
  const imageRuns = findRuns(promptIds, ids.imagePad);
  const audioRuns = findRuns(promptIds, ids.audioPad);
  if (imageRuns.length !== imageEmbeddings.length || audioRuns.length !== audioEmbeddings.length) {
    throw new Error("placeholder spans do not match the encoded media (the chat template must render message content verbatim)");
  }
  const splices: EmbeddingSplice[] = [
    ...imageRuns.map((run, index) => ({ offset: run.start, values: imageEmbeddings[index]! })),
    ...audioRuns.map((run, index) => ({ offset: run.start, values: audioEmbeddings[index]! })),
  ].sort((a, b) => a.offset - b.offset);
  for (const splice of splices) {
    const rows = splice.values.length / hidden;
    const run = [...imageRuns, ...audioRuns].find((candidate) => candidate.start === splice.offset);
    if (run === undefined || run.length !== rows) throw new Error("an embedding span does not match its placeholder length");
  }
  return {
    promptIds,
    splices,
    imageTokens: imageEmbeddings.length * queries,
    audioTokens: audioRuns.reduce((sum, run) => sum + run.length, 0),
    timings,
  };
}
