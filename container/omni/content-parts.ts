/**
 * zod schema for a chat message's `content` with media: a string, null, OpenAI content parts (`text`, `image_url`
 * with a data: or http(s) URL, `input_audio` with base64 wav/mp3), or the Megrez-Omni dict form
 * `{text, image, audio}` (image/audio as data: or http(s) URLs). Output: the joined text plus media references,
 * still undecoded; fetching and decoding happen later, once per request.
 */
import { z } from "zod";

export type MediaSource = { type: "data"; base64: string } | { type: "url"; url: string };

export type MediaReference = { kind: "image" | "audio"; source: MediaSource };

export type MessageContent = { text: string; media: MediaReference[] };

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;
const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?((?:;[\w-]+=[^;,]*)*)(;base64)?,(.*)$/s;

/** data: URL (base64) or http(s) URL → a source; anything else is a validation issue. */
function parseLocation(value: string, kind: "image" | "audio", context: z.RefinementCtx): MediaSource {
  const trimmed = value.trim();
  const data = DATA_URL.exec(trimmed);
  if (data) {
    const mime = data[1] ?? "";
    if (mime !== "" && !mime.startsWith(`${kind}/`) && mime !== "application/octet-stream") {
      context.addIssue({ code: "custom", message: `expected an ${kind} data URL, got ${mime}` });
    }
    if (data[3] === undefined) context.addIssue({ code: "custom", message: `${kind} data URLs must be base64-encoded` });
    if (!BASE64.test(data[4] ?? "")) context.addIssue({ code: "custom", message: `the ${kind} data URL is not valid base64` });
    return { type: "data", base64: data[4] ?? "" };
  }
  if (/^https?:\/\//i.test(trimmed)) {
    if (!URL.canParse(trimmed)) context.addIssue({ code: "custom", message: `invalid ${kind} URL` });
    return { type: "url", url: trimmed };
  }
  context.addIssue({ code: "custom", message: `${kind} must be a data: URL or an http(s) URL (file paths are not accepted)` });
  return { type: "data", base64: "" };
}

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const imagePart = z.object({
  type: z.literal("image_url"),
  image_url: z.union([z.string(), z.looseObject({ url: z.string(), detail: z.string().optional() }).transform((value) => value.url)]),
});
const audioPart = z.object({
  type: z.literal("input_audio"),
  input_audio: z.looseObject({
    data: z.string().regex(BASE64, "input_audio.data must be base64"),
    format: z.enum(["wav", "mp3"], { message: "input_audio.format must be wav or mp3" }),
  }),
});
const contentPart = z.discriminatedUnion("type", [textPart, imagePart, audioPart], {
  message: "content parts must be of type text, image_url or input_audio",
});

const megrezDict = z.strictObject(
  { text: z.string().nullish(), image: z.string().nullish(), audio: z.string().nullish() },
  { message: "the Megrez content object takes only text, image and audio" },
);

export const messageContentSchema = z.union([z.string(), z.null(), z.array(contentPart), megrezDict]).transform((content, context): MessageContent => {
  if (content === null) return { text: "", media: [] };
  if (typeof content === "string") return { text: content, media: [] };
  if (Array.isArray(content)) {
    const text: string[] = [];
    const media: MediaReference[] = [];
    for (const part of content) {
      if (part.type === "text") text.push(part.text);
      else if (part.type === "image_url") media.push({ kind: "image", source: parseLocation(part.image_url, "image", context) });
      else media.push({ kind: "audio", source: { type: "data", base64: part.input_audio.data } });
    }
    return { text: text.join(""), media };
  }
  const media: MediaReference[] = [];
  if (content.image) media.push({ kind: "image", source: parseLocation(content.image, "image", context) });
  if (content.audio) {
    const audio = content.audio.trim();
    const isLocation = audio.startsWith("data:") || /^https?:\/\//i.test(audio);
    media.push({ kind: "audio", source: isLocation ? parseLocation(audio, "audio", context) : { type: "data", base64: audio } });
  }
  return { text: content.text ?? "", media };
});
