/**
 * Attachments on the chat endpoints: the zod schema (one image and one audio
 * clip at most, known media types, real base64 under MAX_ATTACHMENT_BYTES),
 * the ATTACHMENTS switch (a kind the service does not offer is a 400, never
 * silently dropped) and the body-size cap that makes room for them. Both
 * `POST /api/chat` and `POST /v1/chat/completions` go through here.
 */
import { z } from "zod";
import type { Attachment } from "../agent/attachments";
import { ApiError } from "./errors";

export const attachmentKindSchema = z.enum(["image", "audio"]);
export type AttachmentKind = z.infer<typeof attachmentKindSchema>;

export const attachmentMediaTypes: Record<AttachmentKind, readonly string[]> = {
  image: ["image/jpeg", "image/png", "image/webp"],
  audio: ["audio/wav", "audio/x-wav", "audio/mpeg", "audio/mp3"],
};

export interface AttachmentPolicy {
  /** Kinds the service accepts (ATTACHMENTS); empty = text only. */
  kinds: ReadonlySet<AttachmentKind>;
  /** Largest attachment, decoded bytes (MAX_ATTACHMENT_BYTES). */
  maxBytes: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodedBytes(base64: string): number {
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

export function attachmentSchema(maxBytes: number) {
  return z
    .object({ kind: attachmentKindSchema, mediaType: z.string().toLowerCase(), data: z.string().min(1, "must not be empty") })
    .superRefine((attachment, ctx) => {
      const allowed = attachmentMediaTypes[attachment.kind];
      if (!allowed.includes(attachment.mediaType)) {
        ctx.addIssue({ code: "custom", path: ["mediaType"], message: `${attachment.kind} must be one of ${allowed.join(", ")}` });
      }
      if (attachment.data.length % 4 !== 0 || !BASE64.test(attachment.data)) {
        ctx.addIssue({ code: "custom", path: ["data"], message: "expected standard base64 (no data: prefix)" });
      } else if (decodedBytes(attachment.data) > maxBytes) {
        ctx.addIssue({ code: "custom", path: ["data"], message: `the attachment exceeds ${maxBytes} bytes` });
      }
    });
}

/** At most one attachment of each kind (what Megrez-3B-Omni takes per message). */
export function attachmentListSchema(maxBytes: number) {
  return z
    .array(attachmentSchema(maxBytes))
    .max(2)
    .refine((list) => new Set(list.map((attachment) => attachment.kind)).size === list.length, "at most one image and one audio clip");
}

/** Refuses a kind the service does not offer, in the one error shape. */
export function requireAllowed(attachments: readonly Attachment[], policy: AttachmentPolicy): void {
  for (const attachment of attachments) {
    if (!policy.kinds.has(attachment.kind)) {
      throw new ApiError("attachment_not_allowed", `This service does not accept ${attachment.kind} attachments.`);
    }
  }
}

/** Body cap of a chat request: the text limit, plus the base64 of each attachment kind on offer. */
export function chatBodyLimit(maxBodyBytes: number, policy: AttachmentPolicy): number {
  return maxBodyBytes + policy.kinds.size * Math.ceil(policy.maxBytes / 3) * 4;
}
