/**
 * What the chat service accepts besides text, asked once per widget from the
 * worker's `GET /widget/capabilities` (workers/widget/routes.ts). The
 * attachment controls are shown only for what it lists; an error or an
 * unreadable answer means text only, so the widget never offers what the
 * engine cannot take.
 */
import * as z from "zod/mini";

const capabilitiesSchema = z.object({
  attachments: z.object({ image: z.boolean(), audio: z.boolean() }),
  maxAttachmentBytes: z._default(z.number().check(z.positive()), 4 * 1024 * 1024),
  /** The exact media types the service takes (the file picker offers only these). */
  mediaTypes: z._default(z.array(z.string()), []),
});

export type Capabilities = z.infer<typeof capabilitiesSchema>;

export const textOnly: Capabilities = { attachments: { image: false, audio: false }, maxAttachmentBytes: 0, mediaTypes: [] };

export async function detectCapabilities(input: { apiOrigin: string; fetch: typeof fetch }): Promise<Capabilities> {
  try {
    const response = await input.fetch(new URL("/widget/capabilities", input.apiOrigin).toString());
    if (!response.ok) return textOnly;
    const parsed = capabilitiesSchema.safeParse(await response.json());
    return parsed.success ? parsed.data : textOnly;
  } catch {
    return textOnly;
  }
}
