import { counts, SSE, type WireCase } from "./wire-case.js";

/** OpenAI and the OpenAI-compatible providers. */
export const OPENAI_CASES: readonly WireCase[] = [
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
];
