/**
 * The widget's user-visible strings per locale (`data-locale`). English is the
 * fallback; a locale is chosen by its language subtag (`zh-CN` -> `zh`).
 */
import type { Progress } from "./conversation";

export interface Messages {
  open: string;
  close: string;
  newChat: string;
  placeholder: string;
  send: string;
  stop: string;
  retry: string;
  sources: string;
  thinking: string;
  searching: string;
  reading: (done: number, total: number) => string;
  writing: string;
  stopped: string;
  failed: string;
  interrupted: string;
  you: string;
  assistant: string;
  sourceLabel: (index: number, title: string) => string;
  attach: string;
  removeAttachment: string;
  attachmentRefused: (names: string) => string;
}

const english: Messages = {
  open: "Open chat",
  close: "Close chat",
  newChat: "New chat",
  placeholder: "Ask a question…",
  send: "Send",
  stop: "Stop",
  retry: "Retry",
  sources: "Sources",
  thinking: "Thinking…",
  searching: "Searching…",
  reading: (done, total) => `Reading ${done} of ${total} pages`,
  writing: "Writing the answer",
  stopped: "Stopped.",
  failed: "Something went wrong.",
  interrupted: "The answer was interrupted.",
  you: "You",
  assistant: "Assistant",
  sourceLabel: (index, title) => `Source ${index}: ${title}`,
  attach: "Attach a file",
  removeAttachment: "Remove",
  attachmentRefused: (names) => `Not attached (type or size not accepted): ${names}`,
};

const chinese: Messages = {
  open: "打开对话",
  close: "关闭对话",
  newChat: "新对话",
  placeholder: "请输入问题…",
  send: "发送",
  stop: "停止",
  retry: "重试",
  sources: "来源",
  thinking: "思考中…",
  searching: "正在搜索…",
  reading: (done, total) => `正在阅读第 ${done} / ${total} 个网页`,
  writing: "正在撰写回答",
  stopped: "已停止。",
  failed: "出错了。",
  interrupted: "回答被中断了。",
  you: "你",
  assistant: "助手",
  sourceLabel: (index, title) => `来源 ${index}：${title}`,
  attach: "添加附件",
  removeAttachment: "移除",
  attachmentRefused: (names) => `未添加（类型或大小不支持）：${names}`,
};

const byLanguage: Record<string, Messages> = { en: english, zh: chinese };

export function messagesFor(locale: string): Messages {
  const language = locale.toLowerCase().split("-")[0] ?? "en";
  return byLanguage[language] ?? english;
}

export function progressText(messages: Messages, progress: Progress): string {
  switch (progress.stage) {
    case "thinking":
      return messages.thinking;
    case "searching":
      return messages.searching;
    case "reading":
      return messages.reading(progress.done, progress.total);
    case "writing":
      return messages.writing;
  }
}
