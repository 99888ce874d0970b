/**
 * The Megrez-3B chat template rendered as the model was trained:
 * `<|role_start|>{role}<|role_end|>{content}<|turn_end|>` per message, no
 * newlines, and `<|role_start|>assistant<|role_end|>` as the generation prompt
 * (reference §5.3). Used for the batched `/v1/completions` summary prompts and
 * for counting tokens of a whole conversation with one tokenizer call.
 * Callers neutralize content first; roles come from our own code only.
 */
import { ROLE_END, ROLE_START, TURN_END } from "./special-tokens";

export interface TemplateMessage {
  role: string;
  content: string;
}

export function renderChatTemplate(messages: readonly TemplateMessage[], options: { addGenerationPrompt: boolean }): string {
  let rendered = "";
  for (const message of messages) {
    rendered += `${ROLE_START}${message.role}${ROLE_END}${message.content}${TURN_END}`;
  }
  if (options.addGenerationPrompt) rendered += `${ROLE_START}assistant${ROLE_END}`;
  return rendered;
}
