/**
 * Tokenizer + chat template for one model folder. The security rule lives here: special tokens
 * come from the template, and from nowhere in message text except the model's own tool call.
 * Chat messages are rendered with placeholders in place of contents (and of roles that spell an
 * added token); template text is encoded with added-token parsing, message text with a second
 * tokenizer that has no added tokens, so content that spells `<|turn_end|>` or
 * `<|function_start|>` stays plain text and cannot forge a turn or a tool call. The one exception
 * is the tool call in an `assistant` message, `<|function_start|>{call}<|function_end|>`: the two
 * markers (only they, only as a pair, only in that role) are encoded as Megrez's special tokens,
 * as Megrez wrote them and as Hugging Face / vLLM tokenize that conversation. The client authors
 * assistant turns in any case; third-party text (user messages, pages in `observation`) never
 * reaches an assistant turn (the agent also breaks every `<|` in it).
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
/** The characters that delimit a placeholder; text holding them is never rendered readable. */
const PLACEHOLDER_DELIMITERS = /[\uE000\uE001]/;
/** Characters encoded per step when counting tokens with an early stop (`surelyExceeds`). */
const COUNT_CHUNK_CHARS = 16_384;
/** Tokens a chunk boundary may add over encoding the text whole (merges cut at the boundary). */
const BOUNDARY_SLACK_TOKENS = 8;

/** Appends without spreading: `ids.push(...list)` overflows the stack for lists of ~100 000+ ids. */
function appendAll(ids: number[], more: readonly number[]): void {
  for (const id of more) ids.push(id);
}

/** Megrez's tool-call markers; a pair of them in an assistant message is the model's own call. */
export const TOOL_CALL_START = "<|function_start|>";
export const TOOL_CALL_END = "<|function_end|>";
const TOOL_CALL = /<\|function_start\|>([\s\S]*?)<\|function_end\|>/g;

export class TextCodec {
  private readonly withSpecials: Tokenizer;
  private readonly plainText: Tokenizer;
  private readonly template: Template;
  private readonly specialIds: Set<number>;
  private readonly addedTokenTexts: readonly string[];
  private readonly bosId: number | null;
  /** Ids of `<|function_start|>` / `<|function_end|>` when the tokenizer has both (Megrez), else null. */
  private readonly toolCallIds: { start: number; end: number } | null;
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
    const start = this.addedTokenId(folder.tokenizerJson.added_tokens, TOOL_CALL_START);
    const end = this.addedTokenId(folder.tokenizerJson.added_tokens, TOOL_CALL_END);
    this.toolCallIds = start !== undefined && end !== undefined ? { start, end } : null;
    this.eosTokenIds = folder.eosTokenIds;
  }

  private addedTokenId(tokens: readonly { id: number; content: string }[], content: string): number | undefined {
    return tokens.find((token) => token.content === content)?.id;
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
    // a role spells an added token or a placeholder delimiter (`\uE000<n>\uE001` would copy message n's
    // content into the role); contents are always placeholders. The API refuses such roles before this.
    // Which message a content slot belongs to: the assistant's tool call is read from its content.
    const roleOf = new Map<number, string>();
    const masked = messages.map((message) => {
      const role = this.spellsAddedToken(message.role) || PLACEHOLDER_DELIMITERS.test(message.role) ? slot(message.role) : message.role;
      const content = slot(message.content);
      roleOf.set(values.length - 1, message.role);
      return { role, content };
    });
    const rendered = this.template.render({ messages: masked, add_generation_prompt: addGenerationPrompt, bos_token: "", eos_token: "" });
    const ids: number[] = this.bosId === null ? [] : [this.bosId];
    let last = 0;
    for (const match of rendered.matchAll(PLACEHOLDER)) {
      appendAll(ids, this.encodeTemplateText(rendered.slice(last, match.index)));
      const value = values[Number(match[1])] ?? "";
      const role = roleOf.get(Number(match[1]));
      for (const segment of typeof value === "string" ? [value] : value) {
        appendAll(ids, typeof segment === "string" ? this.encodeMessageText(segment, role) : segment.tokenIds);
      }
      last = match.index + match[0].length;
    }
    appendAll(ids, this.encodeTemplateText(rendered.slice(last)));
    return ids;
  }

  /**
   * True when `texts` surely encode to more than `limit` tokens together, found by encoding them in
   * chunks of COUNT_CHUNK_CHARS (cut at whitespace where there is some) and stopping as soon as the
   * count, less the slack each cut may add, passes the limit: a megabyte message is refused after
   * encoding about `limit` tokens of it, not all of it. False means "may fit": encode it to be sure.
   */
  surelyExceeds(texts: readonly string[], limit: number): boolean {
    let count = 0;
    for (const text of texts) {
      for (let start = 0; start < text.length; ) {
        let end = Math.min(text.length, start + COUNT_CHUNK_CHARS);
        if (end < text.length) {
          const space = text.lastIndexOf(" ", end);
          if (space > start + COUNT_CHUNK_CHARS / 2) end = space;
          // Never cut a surrogate pair.
          if (/[\uD800-\uDBFF]/.test(text[end - 1] ?? "")) end -= 1;
        }
        count += this.encodePlainText(text.slice(start, end)).length - (end < text.length ? BOUNDARY_SLACK_TOKENS : 0);
        if (count > limit) return true;
        start = end;
      }
    }
    return false;
  }

  private spellsAddedToken(text: string): boolean {
    return this.addedTokenTexts.some((token) => text.includes(token));
  }

  private encodeTemplateText(text: string): number[] {
    return text ? this.withSpecials.encode(text, { add_special_tokens: false }).ids : [];
  }

  /** Message text: plain text, except the tool-call markers of an assistant message (see the file comment). */
  private encodeMessageText(text: string, role: string | undefined): number[] {
    if (role !== "assistant" || this.toolCallIds === null) return this.encodePlainText(text);
    const ids: number[] = [];
    let last = 0;
    for (const match of text.matchAll(TOOL_CALL)) {
      appendAll(ids, this.encodePlainText(text.slice(last, match.index)));
      ids.push(this.toolCallIds.start);
      appendAll(ids, this.encodePlainText(match[1] ?? ""));
      ids.push(this.toolCallIds.end);
      last = match.index + match[0].length;
    }
    appendAll(ids, this.encodePlainText(text.slice(last)));
    return ids;
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
