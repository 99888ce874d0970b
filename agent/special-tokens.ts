/**
 * Megrez-3B special tokens and the neutralizer that keeps them out of content.
 * The tokenizer matches added tokens literally inside any text, so a page or a
 * user that writes `<|turn_end|>` would otherwise close a turn or open a fake
 * tool call. Every string we put into a prompt passes through `neutralize`.
 */

export const ROLE_START = "<|role_start|>";
export const ROLE_END = "<|role_end|>";
export const TURN_END = "<|turn_end|>";
export const FUNCTION_START = "<|function_start|>";
export const FUNCTION_END = "<|function_end|>";
export const EOS = "<|eos|>";

/** Tokens that end the assistant's answer when they show up in generated text. */
export const ANSWER_END_TOKENS = [TURN_END, ROLE_START, EOS] as const;

/** Longest special-token text we may have to hold back while streaming. */
export const MAX_SPECIAL_TOKEN_LENGTH = 32;

/**
 * Breaks every `<|` and `|>` so no special token can be formed from content.
 * The replacement stays readable (`< |turn_end| >`) so a quoted page still
 * makes sense to the model.
 */
export function neutralize(text: string): string {
  return text.replace(/<\|/g, "< |").replace(/\|>/g, "| >");
}

/**
 * Special tokens that carry no text for a reader: with `skip_special_tokens:
 * false` (needed to see the tool call) a model may still emit them, e.g. the
 * demo model's random weights produce `<|pad|>`. They never reach the answer.
 */
const CONTROL_TOKENS = /<\|(?:pad|unk|eos|role_end|commit_start|commit_end)\|>/g;

export function stripControlTokens(text: string): string {
  return text.replace(CONTROL_TOKENS, "");
}
