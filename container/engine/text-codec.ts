/**
 * Tokenizer + chat template for one model folder. The security rule lives here: special
 * tokens come only from the template. Chat messages are rendered with placeholders in place
 * of contents (and of roles that spell an added token); template text is encoded with added-token parsing, message text with
 * a second tokenizer that has no added tokens, so content that spells `<|turn_end|>` or
 * `<|function_start|>` stays plain text and cannot forge a turn or a tool call.
 */
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import type { ModelFolder } from "./model-folder";

export interface ChatMessage {
  role: string;
  content: string;
}

/** A message content piece: text (encoded as plain text) or token ids placed verbatim (the Omni placeholders). */
export type ContentSegment = string | { tokenIds: readonly number[] };

const PLACEHOLDER = /\uE000(\d+)\uE001/g;

export class TextCodec {
  private readonly withSpecials: Tokenizer;
  private readonly plainText: Tokenizer;
  private readonly template: Template;
  private readonly specialIds: Set<number>;
  private readonly addedTokenTexts: readonly string[];
  private readonly bosId: number | null;
  readonly eosTokenIds: readonly number[];

  constructor(folder: Pick<ModelFolder, "tokenizerJson" | "tokenizerConfig" | "chatTemplate" | "eosTokenIds">) {
    this.withSpecials = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig);
    this.plainText = new Tokenizer({ ...folder.tokenizerJson, added_tokens: [] }, folder.tokenizerConfig);
    this.template = new Template(folder.chatTemplate);
    this.specialIds = new Set(folder.tokenizerJson.added_tokens.filter((token) => token.special).map((token) => token.id));
    this.addedTokenTexts = folder.tokenizerJson.added_tokens.map((token) => token.content).filter((content) => content.length > 0);
    const bos = folder.tokenizerConfig.bos_token;
    const bosId = folder.tokenizerConfig.add_bos_token && bos ? this.withSpecials.token_to_id(bos) : undefined;
    this.bosId = bosId ?? null;
    this.eosTokenIds = folder.eosTokenIds;
  }

  /** The exact prompt string the template renders (what vLLM's apply_chat_template gives). */
  renderChat(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
    return this.template.render({ messages, add_generation_prompt: addGenerationPrompt, bos_token: "", eos_token: "" });
  }

  /** Token ids of the rendered chat, with special tokens only where the template put them. */
  encodeChat(messages: readonly ChatMessage[], addGenerationPrompt: boolean): number[] {
    return this.encodeChatSegments(
      messages.map((message) => ({ role: message.role, content: [message.content] })),
      addGenerationPrompt,
    );
  }

  /** encodeChat for contents made of segments: text stays plain text, token-id segments are placed as they are. */
  encodeChatSegments(messages: readonly { role: string; content: readonly ContentSegment[] }[], addGenerationPrompt: boolean): number[] {
    const values: (string | readonly ContentSegment[])[] = [];
    const slot = (value: string | readonly ContentSegment[]): string => `\uE000${values.push(value) - 1}\uE001`;
    // Roles stay readable to the template (it compares them: `messages[0]['role'] != 'system'`), unless
    // a role spells an added token; contents are always placeholders.
    const masked = messages.map((message) => ({
      role: this.spellsAddedToken(message.role) ? slot(message.role) : message.role,
      content: slot(message.content),
    }));
    const rendered = this.template.render({ messages: masked, add_generation_prompt: addGenerationPrompt, bos_token: "", eos_token: "" });
    const ids: number[] = this.bosId === null ? [] : [this.bosId];
    let last = 0;
    for (const match of rendered.matchAll(PLACEHOLDER)) {
      ids.push(...this.encodeTemplateText(rendered.slice(last, match.index)));
      const value = values[Number(match[1])] ?? "";
      for (const segment of typeof value === "string" ? [value] : value) {
        ids.push(...(typeof segment === "string" ? this.encodePlainText(segment) : segment.tokenIds));
      }
      last = match.index + match[0].length;
    }
    ids.push(...this.encodeTemplateText(rendered.slice(last)));
    return ids;
  }

  private spellsAddedToken(text: string): boolean {
    return this.addedTokenTexts.some((token) => text.includes(token));
  }

  private encodeTemplateText(text: string): number[] {
    return text ? this.withSpecials.encode(text, { add_special_tokens: false }).ids : [];
  }

  /** Encode text with no special-token parsing at all. */
  encodePlainText(text: string): number[] {
    return text ? this.plainText.encode(text, { add_special_tokens: false }).ids : [];
  }

  /** Encode a raw prompt (completions API): special-token text is parsed, as vLLM does. */
  encodePrompt(text: string): number[] {
    const ids = this.encodeTemplateText(text);
    return this.bosId === null ? ids : [this.bosId, ...ids];
  }

  decode(ids: readonly number[], skipSpecialTokens: boolean): string {
    if (ids.length === 0) return "";
    return this.withSpecials.decode([...ids], { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: false });
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** Id of a single token string (e.g. "<|turn_end|>"), if it is one token. */
  tokenId(token: string): number | undefined {
    return this.withSpecials.token_to_id(token);
  }
}
