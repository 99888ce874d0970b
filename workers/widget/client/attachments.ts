/**
 * The composer's attachments: at most one image and one audio clip per
 * message (what Megrez-3B-Omni takes), each under the service's size cap,
 * read as base64 for the `attachments` field of `POST /api/chat`. The chips
 * above the input show what will be sent, each with a Remove button.
 */
import type { Capabilities } from "./capabilities";
import type { Messages } from "./messages";

export interface Attachment {
  kind: "image" | "audio";
  mediaType: string;
  name: string;
  /** Base64 of the file's bytes. */
  data: string;
}

export interface AttachmentTray {
  /** Takes the picked files; returns a message for the ones refused. */
  add(files: FileList): Promise<string | undefined>;
  /** The attachments to send, emptying the tray. */
  take(): Attachment[];
}

function base64Of(bytes: ArrayBuffer): string {
  let binary = "";
  const view = new Uint8Array(bytes);
  for (let offset = 0; offset < view.length; offset += 0x8000) binary += String.fromCharCode(...view.subarray(offset, offset + 0x8000));
  return btoa(binary);
}

export function createAttachmentTray(input: { list: HTMLElement; capabilities: () => Capabilities; messages: Messages }): AttachmentTray {
  let attachments: Attachment[] = [];
  const render = () => {
    input.list.replaceChildren(
      ...attachments.map((attachment) => {
        const chip = document.createElement("span");
        chip.className = "attachment";
        chip.textContent = attachment.name;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "✕";
        remove.setAttribute("aria-label", `${input.messages.removeAttachment}: ${attachment.name}`);
        remove.addEventListener("click", () => {
          attachments = attachments.filter((kept) => kept !== attachment);
          render();
        });
        chip.append(remove);
        return chip;
      }),
    );
    input.list.hidden = attachments.length === 0;
  };
  return {
    async add(files) {
      const refused: string[] = [];
      for (const file of Array.from(files)) {
        const kind = file.type.startsWith("image/") ? "image" : file.type.startsWith("audio/") ? "audio" : undefined;
        const capabilities = input.capabilities();
        const typeOffered = capabilities.mediaTypes.length === 0 || capabilities.mediaTypes.includes(file.type);
        if (!kind || !capabilities.attachments[kind] || !typeOffered || file.size > capabilities.maxAttachmentBytes) {
          refused.push(file.name);
          continue;
        }
        const attachment: Attachment = { kind, mediaType: file.type, name: file.name, data: base64Of(await file.arrayBuffer()) };
        attachments = [...attachments.filter((kept) => kept.kind !== kind), attachment];
      }
      render();
      return refused.length > 0 ? input.messages.attachmentRefused(refused.join(", ")) : undefined;
    },
    take() {
      const taken = attachments;
      attachments = [];
      render();
      return taken;
    },
  };
}
