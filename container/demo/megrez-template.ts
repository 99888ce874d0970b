/**
 * The Megrez-3B-Instruct chat template (verbatim from its published Hugging Face
 * tokenizer_config) and the Megrez special tokens.
 * The demo model ships exactly this template so prompts render byte-identically to Megrez.
 */

export const MEGREZ_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|role_start|>system<|role_end|>你是Megrez-3B-Instruct，将针对用户的问题给出详细的、积极的回答。<|turn_end|>' }}{% endif %}{{ '<|role_start|>' + message['role'] + '<|role_end|>' + message['content'] + '<|turn_end|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|role_start|>assistant<|role_end|>' }}{% endif %}";

/** Added tokens in Megrez id order (120000...); the function tokens follow the known ones. */
export const MEGREZ_SPECIAL_TOKENS = [
  "<|eos|>",
  "<|unk|>",
  "<|pad|>",
  "<|role_start|>",
  "<|role_end|>",
  "<|turn_end|>",
  "<|code_start|>",
  "<|code_end|>",
  "<|function_start|>",
  "<|function_end|>",
] as const;

export const MEGREZ_EOS_TOKEN = "<|turn_end|>";
export const MEGREZ_PAD_TOKEN = "<|pad|>";
export const MEGREZ_UNK_TOKEN = "<|unk|>";
