import type { TokenUsage } from "../src/index.js";

/** One fixture in a provider's exact wire format, with what it must yield. */
export interface WireCase {
  name: string;
  fixture: string;
  path: string;
  contentType?: string;
  request?: Record<string, unknown>;
  /** Every token class, the model and the parser; source is "reported" and parseError null. */
  expected: Omit<TokenUsage, "source" | "parseError">;
  /**
   * A string in the event/line/frame that carries the final usage: a truncated capture must keep it in
   * its tail (and the first event in its head). Absent for single JSON documents.
   */
  usageMarker?: string;
}

const counts = (
  inputTokens: number,
  outputTokens: number,
  extra: Partial<Omit<TokenUsage, "source" | "parseError" | "model" | "parser">> = {},
) => ({
  inputTokens,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens,
  reasoningTokens: 0,
  totalTokens: inputTokens + outputTokens,
  ...extra,
});

const SSE = "text/event-stream";
const BEDROCK = "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0";

export const WIRE_CASES: readonly WireCase[] = [
  {
    name: "OpenAI chat completion JSON",
    fixture: "openai-chat.json",
    path: "/v1/chat/completions",
    expected: {
      model: "o3-mini-2025-01-31",
      parser: "openai-chat",
      ...counts(2006, 300, { cachedInputTokens: 1920, reasoningTokens: 256 }),
    },
  },
  {
    name: "OpenAI chat SSE with include_usage",
    fixture: "openai-chat-stream.sse",
    path: "/v1/chat/completions",
    contentType: SSE,
    request: { model: "gpt-4o", stream: true, stream_options: { include_usage: true }, messages: [] },
    expected: {
      model: "gpt-4o-2024-08-06",
      parser: "openai-chat-sse",
      ...counts(1134, 9, { cachedInputTokens: 1024 }),
    },
    usageMarker: '"usage":{',
  },
  {
    name: "Azure OpenAI chat completion on a deployment path",
    fixture: "azure-openai-chat.json",
    path: "/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21",
    expected: {
      model: "gpt-4o-2024-11-20",
      parser: "openai-chat",
      ...counts(1562, 17, { cachedInputTokens: 1408 }),
    },
  },
  {
    name: "Mistral SSE with usage beside the last choice",
    fixture: "mistral-chat-stream.sse",
    path: "/v1/chat/completions",
    contentType: SSE,
    expected: { model: "mistral-large-latest", parser: "openai-chat-sse", ...counts(14, 17) },
    usageMarker: '"usage":{',
  },
  {
    name: "DeepSeek reasoner with prompt cache hits and misses",
    fixture: "deepseek-chat.json",
    path: "/chat/completions",
    expected: {
      model: "deepseek-reasoner",
      parser: "openai-chat",
      ...counts(1290, 412, { cachedInputTokens: 1280, reasoningTokens: 389 }),
    },
  },
  {
    name: "xAI grok with reasoning outside completion_tokens",
    fixture: "xai-chat.json",
    path: "/v1/chat/completions",
    expected: {
      model: "grok-3-mini",
      parser: "openai-chat",
      ...counts(32, 258, { cachedInputTokens: 6, reasoningTokens: 256 }),
    },
  },
  {
    name: "Groq SSE with x_groq.usage",
    fixture: "groq-chat-stream.sse",
    path: "/openai/v1/chat/completions",
    contentType: SSE,
    expected: { model: "llama-3.3-70b-versatile", parser: "openai-chat-sse", ...counts(44, 3) },
    usageMarker: '"usage":{',
  },
  {
    name: "Together SSE with usage in the last chunk",
    fixture: "together-chat-stream.sse",
    path: "/v1/chat/completions",
    contentType: SSE,
    expected: {
      model: "meta-llama/Llama-3.3-70B-Instruct-Turbo",
      parser: "openai-chat-sse",
      ...counts(39, 3),
    },
    usageMarker: '"usage":{',
  },
  {
    name: "vLLM SSE with a final empty-choices usage chunk",
    fixture: "vllm-chat-stream.sse",
    path: "/v1/chat/completions",
    contentType: SSE,
    expected: { model: "Qwen/Qwen2.5-7B-Instruct", parser: "openai-chat-sse", ...counts(21, 4) },
    usageMarker: '"usage":{',
  },
  {
    name: "OpenRouter SSE with keep-alive comments and cache writes",
    fixture: "openrouter-chat-stream.sse",
    path: "/api/v1/chat/completions",
    contentType: SSE,
    expected: {
      model: "anthropic/claude-sonnet-4",
      parser: "openai-chat-sse",
      ...counts(2108, 9, { cachedInputTokens: 1024, cacheWriteTokens: 1070 }),
    },
    usageMarker: '"usage":{',
  },
  {
    name: "OpenAI Responses JSON",
    fixture: "openai-responses.json",
    path: "/v1/responses",
    expected: {
      model: "o4-mini-2025-04-16",
      parser: "openai-responses",
      ...counts(1280, 640, { cachedInputTokens: 1152, reasoningTokens: 512 }),
    },
  },
  {
    name: "OpenAI Responses SSE",
    fixture: "openai-responses-stream.sse",
    path: "/v1/responses",
    contentType: SSE,
    expected: { model: "gpt-4.1-2025-04-14", parser: "openai-responses-sse", ...counts(37, 11) },
    usageMarker: "response.completed",
  },
  {
    name: "Responses JSON with cache writes in input_tokens_details",
    fixture: "openai-responses-cache-write.json",
    path: "/v1/responses",
    expected: {
      model: "claude-sonnet-4-20250514",
      parser: "openai-responses",
      ...counts(5230, 160, { cachedInputTokens: 2048, cacheWriteTokens: 3072, reasoningTokens: 120 }),
    },
  },
  {
    name: "OpenAI embeddings",
    fixture: "openai-embeddings.json",
    path: "/v1/embeddings",
    expected: { model: "text-embedding-3-small", parser: "openai-embeddings", ...counts(8, 0) },
  },
  {
    name: "Anthropic message JSON",
    fixture: "anthropic-message.json",
    path: "/v1/messages",
    expected: {
      model: "claude-sonnet-4-20250514",
      parser: "anthropic-messages",
      ...counts(4521, 393, { cachedInputTokens: 3000, cacheWriteTokens: 1500 }),
    },
  },
  {
    name: "Anthropic message JSON with 5-minute and 1-hour cache writes",
    fixture: "anthropic-message-1h.json",
    path: "/v1/messages",
    expected: {
      model: "claude-opus-4-1-20250805",
      parser: "anthropic-messages",
      ...counts(29012, 87, { cachedInputTokens: 20000, cacheWriteTokens: 9000, cacheWrite1hTokens: 8000 }),
    },
  },
  {
    name: "Anthropic SSE",
    fixture: "anthropic-stream.sse",
    path: "/v1/messages",
    contentType: SSE,
    expected: {
      model: "claude-3-5-haiku-20241022",
      parser: "anthropic-messages-sse",
      ...counts(2073, 15, { cachedInputTokens: 2048 }),
    },
    usageMarker: "event: message_delta",
  },
  {
    name: "Anthropic SSE with server tools updating input in message_delta",
    fixture: "anthropic-stream-server-tools.sse",
    path: "/v1/messages",
    contentType: SSE,
    expected: {
      model: "claude-sonnet-4-5-20250929",
      parser: "anthropic-messages-sse",
      ...counts(10682, 510),
    },
    usageMarker: "event: message_delta",
  },
  {
    name: "Gemini generateContent",
    fixture: "gemini-generate.json",
    path: "/v1beta/models/gemini-2.5-pro:generateContent",
    expected: {
      model: "gemini-2.5-pro",
      parser: "gemini",
      ...counts(4512, 1400, { cachedInputTokens: 4096, reasoningTokens: 1080 }),
    },
  },
  {
    name: "Gemini streamGenerateContent SSE",
    fixture: "gemini-stream.sse",
    path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    contentType: SSE,
    expected: {
      model: "gemini-2.5-flash",
      parser: "gemini-sse",
      ...counts(12, 148, { reasoningTokens: 124 }),
    },
    usageMarker: '"finishReason"',
  },
  {
    name: "Gemini streamGenerateContent JSON array",
    fixture: "gemini-stream-array.json",
    path: "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
    expected: { model: "gemini-2.0-flash", parser: "gemini", ...counts(8, 9) },
  },
  {
    name: "Gemini SSE with CRLF separators, tool-use prompt and cached content",
    fixture: "gemini-stream-crlf.sse",
    path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    contentType: SSE,
    expected: {
      model: "gemini-2.5-pro",
      parser: "gemini-sse",
      ...counts(8515, 553, { cachedInputTokens: 8000, reasoningTokens: 512 }),
    },
    usageMarker: '"finishReason"',
  },
  {
    name: "Bedrock Converse JSON (model only in the path)",
    fixture: "bedrock-converse.json",
    path: `${BEDROCK}/converse`,
    expected: {
      model: "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
      parser: "bedrock-converse",
      ...counts(2071, 14, { cachedInputTokens: 1536, cacheWriteTokens: 512 }),
    },
  },
  {
    name: "Bedrock ConverseStream binary event stream",
    fixture: "bedrock-converse-stream.bin",
    path: `${BEDROCK}/converse-stream`,
    contentType: "application/vnd.amazon.eventstream",
    expected: {
      model: "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
      parser: "bedrock-converse-stream",
      ...counts(2079, 19, { cachedInputTokens: 2048 }),
    },
    usageMarker: "metadata",
  },
  {
    name: "Cohere v2 chat JSON (billed units)",
    fixture: "cohere-chat.json",
    path: "/v2/chat",
    request: { model: "command-a-03-2025", messages: [{ role: "user", content: "What is an LLM?" }] },
    expected: { model: "command-a-03-2025", parser: "cohere-chat", ...counts(17, 16) },
  },
  {
    name: "Cohere v2 chat SSE (billed units)",
    fixture: "cohere-chat-stream.sse",
    path: "/v2/chat",
    contentType: SSE,
    request: { model: "command-r-plus-08-2024", stream: true, messages: [] },
    expected: { model: "command-r-plus-08-2024", parser: "cohere-chat-sse", ...counts(9, 11) },
    usageMarker: "event: message-end",
  },
  {
    name: "Ollama /api/chat JSON",
    fixture: "ollama-chat.json",
    path: "/api/chat",
    expected: { model: "llama3.2", parser: "ollama", ...counts(26, 298) },
  },
  {
    name: "Ollama /api/chat NDJSON stream",
    fixture: "ollama-chat-stream.ndjson",
    path: "/api/chat",
    contentType: "application/x-ndjson",
    expected: { model: "llama3.2", parser: "ollama", ...counts(26, 282) },
    usageMarker: '"done":true',
  },
  {
    name: "Ollama /api/generate JSON",
    fixture: "ollama-generate.json",
    path: "/api/generate",
    expected: { model: "qwen2.5:7b", parser: "ollama", ...counts(35, 11) },
  },
  {
    name: "Ollama /api/generate NDJSON stream",
    fixture: "ollama-generate-stream.ndjson",
    path: "/api/generate",
    contentType: "application/x-ndjson",
    expected: { model: "qwen2.5:7b", parser: "ollama", ...counts(35, 5) },
    usageMarker: '"done":true',
  },
  {
    name: "chat completion whose text and tool arguments mention model and usage",
    fixture: "openai-chat-usage-in-text.json",
    path: "/v1/chat/completions",
    expected: { model: "gpt-4.1-mini-2025-04-14", parser: "openai-chat", ...counts(57, 48) },
  },
  {
    name: "Anthropic tool_use whose input holds a model and usage",
    fixture: "anthropic-tool-args.json",
    path: "/v1/messages",
    expected: { model: "claude-3-7-sonnet-20250219", parser: "anthropic-messages", ...counts(402, 61) },
  },
  {
    name: "Gemini stream whose functionCall args hold usage keys",
    fixture: "gemini-function-args.sse",
    path: "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
    contentType: SSE,
    expected: { model: "gemini-2.0-flash", parser: "gemini-sse", ...counts(31, 9) },
  },
];
