import { counts, SSE, type WireCase } from "./wire-case.js";
import { OPENAI_CASES } from "./wire-cases-openai.js";

export type { WireCase } from "./wire-case.js";

const BEDROCK = "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0";

/** Every wire format, in its providers' exact form, with what it must yield. */
export const WIRE_CASES: readonly WireCase[] = [
  ...OPENAI_CASES,
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
