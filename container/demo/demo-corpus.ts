/**
 * Training text for the demo tokenizer's BPE merges: English, Chinese, JSON tool calls and
 * citations, so merges exist for the kinds of text the agent sends. Content only shapes the
 * merges; the demo model's weights are random, so its words are noise by design.
 */
export const DEMO_CORPUS = [
  "The quick brown fox jumps over the lazy dog. The search engine returns the most relevant pages for the question.",
  "You are a helpful assistant. Answer the question with citations like [citation:1] and [citation:2] when you use a source.",
  "Megrez is a small language model. It runs at the edge with ONNX Runtime and answers with cited sources from the web.",
  "The weather today is sunny in Beijing and Shanghai. Tomorrow there will be rain in the afternoon and wind at night.",
  "Search results: title, link, snippet. The page was fetched, cleaned, and summarized before the final answer was written.",
  '{"name": "googleWebSearch", "arguments": {"query": "latest news about language models"}}',
  '{"name": "googleWebSearch", "arguments": {"query": "无问芯穹"}}',
  "你是Megrez-3B-Instruct，将针对用户的问题给出详细的、积极的回答。",
  "今天的天气很好，我们去公园散步吧。搜索引擎会返回与问题最相关的网页，然后模型根据这些网页回答问题。",
  "无问芯穹是一家人工智能公司。大语言模型可以回答问题、写文章、翻译语言，还可以调用工具进行网络搜索。",
  "请根据以下网页内容回答用户的问题，并在回答中使用引用标记，例如[citation:1]。如果网页中没有相关信息，请如实说明。",
  "The numbers 2024, 2025 and 2026 appear in dates such as 2026-11-26. Prices are $3.50, 12%, and 1,000 tokens per second.",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: corpus text that shows code, not a template.
  "function add(a, b) { return a + b; } const answer = add(40, 2); console.log(`the answer is ${answer}`);",
  "In the beginning the model knows nothing; every token it writes here comes from random weights, not from learning.",
].join("\n");
