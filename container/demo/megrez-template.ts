/**
 * The Megrez-3B-Instruct chat template (verbatim from its published Hugging Face
 * tokenizer_config) and the Megrez special tokens.
 * The demo model ships exactly this template so prompts render byte-identically to Megrez.
 */

export const MEGREZ_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|role_start|>system<|role_end|>你是Megrez-3B-Instruct，将针对用户的问题给出详细的、积极的回答。<|turn_end|>' }}{% endif %}{{ '<|role_start|>' + message['role'] + '<|role_end|>' + message['content'] + '<|turn_end|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|role_start|>assistant<|role_end|>' }}{% endif %}";

/**
 * Megrez-3B's added tokens with their ids, in id order. 120000–120008 are as published in the
 * Megrez-3B-Omni tokenizer_config (which shares the vocabulary); the function tokens follow
 * `<|commit_start|>` (their exact ids were not readable here; 120009/120010 is the layout that
 * places them right after it). The demo tokenizer adds exactly these, in this order, at the same
 * offsets from its first added id, so tests exercise Megrez's layout.
 */
export const MEGREZ_ADDED_TOKENS = [
  { id: 120000, content: "<|eos|>" },
  { id: 120001, content: "<|unk|>" },
  { id: 120002, content: "<|pad|>" },
  { id: 120003, content: "<|role_start|>" },
  { id: 120004, content: "<|role_end|>" },
  { id: 120005, content: "<|turn_end|>" },
  { id: 120006, content: "<|code_start|>" },
  { id: 120007, content: "<|code_end|>" },
  { id: 120008, content: "<|commit_start|>" },
  { id: 120009, content: "<|function_start|>" },
  { id: 120010, content: "<|function_end|>" },
] as const;

/** Megrez's first added-token id: the demo's added ids are its own first id + (Megrez id - this). */
export const MEGREZ_FIRST_ADDED_ID = 120000;

export const MEGREZ_SPECIAL_TOKENS = MEGREZ_ADDED_TOKENS.map((token) => token.content);

export const MEGREZ_EOS_TOKEN = "<|turn_end|>";
export const MEGREZ_PAD_TOKEN = "<|pad|>";
export const MEGREZ_UNK_TOKEN = "<|unk|>";
