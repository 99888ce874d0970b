/**
 * Chat encoding where a message's content is a list of segments: text (encoded with no special-token parsing, the
 * engine's anti-forgery rule) or token ids placed verbatim (the Omni placeholders). Same method as the engine's
 * TextCodec.encodeChat: the template is rendered with private-use markers in place of roles and contents, template
 * text is encoded with added-token parsing and everything from the user without.
 */
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import type { ContentSegment, SegmentCodec } from "./omni-prompt.js";

/** The parts of a model folder the codec reads (the engine's ModelFolder satisfies it). */
export type ChatTokenizerFiles = {
  tokenizerJson: { added_tokens: readonly unknown[] } & Record<string, unknown>;
  tokenizerConfig: { bos_token?: string | null; add_bos_token?: boolean } & Record<string, unknown>;
  chatTemplate: string;
};

const MARKER = /\uE000(\d+)\uE001/g;

export class OmniSegmentCodec implements SegmentCodec {
  private readonly withSpecials: Tokenizer;
  private readonly plainText: Tokenizer;
  private readonly template: Template;
  private readonly bosId: number | null;

  constructor(folder: ChatTokenizerFiles) {
    this.withSpecials = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig);
    this.plainText = new Tokenizer({ ...folder.tokenizerJson, added_tokens: [] }, folder.tokenizerConfig);
    this.template = new Template(folder.chatTemplate);
    const bos = folder.tokenizerConfig.bos_token;
    this.bosId = (folder.tokenizerConfig.add_bos_token && bos ? this.withSpecials.token_to_id(bos) : undefined) ?? null;
  }

  encodeChatSegments(messages: readonly { role: string; content: readonly ContentSegment[] }[], addGenerationPrompt: boolean): number[] {
    const values: (string | readonly ContentSegment[])[] = [];
    const slot = (value: string | readonly ContentSegment[]): string => `\uE000${values.push(value) - 1}\uE001`;
    const masked = messages.map((message) => ({ role: slot(message.role), content: slot(message.content) }));
    const rendered = this.template.render({ messages: masked, add_generation_prompt: addGenerationPrompt, bos_token: "", eos_token: "" });
    const ids: number[] = this.bosId === null ? [] : [this.bosId];
    let last = 0;
    for (const match of rendered.matchAll(MARKER)) {
      ids.push(...this.encodeTemplateText(rendered.slice(last, match.index)));
      const value = values[Number(match[1])] ?? "";
      const segments = typeof value === "string" ? [value] : value;
      for (const segment of segments) ids.push(...(typeof segment === "string" ? this.encodePlainText(segment) : segment.tokenIds));
      last = match.index + match[0].length;
    }
    ids.push(...this.encodeTemplateText(rendered.slice(last)));
    return ids;
  }

  private encodeTemplateText(text: string): number[] {
    return text ? this.withSpecials.encode(text, { add_special_tokens: false }).ids : [];
  }

  encodePlainText(text: string): number[] {
    return text ? this.plainText.encode(text, { add_special_tokens: false }).ids : [];
  }

  tokenId(token: string): number | undefined {
    return this.withSpecials.token_to_id(token);
  }
}
