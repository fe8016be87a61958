import { CountReader, finishCounts, isRecord } from "../counts.js";
import { cleanModel, type RequestInfo } from "../request.js";
import type { SseStream } from "../sse.js";
import type { CountsResult, ParseOutcome } from "../types.js";
import {
  collectText,
  type FormatParser,
  failure,
  firstPicked,
  headMatches,
  jsonFailure,
  lastPicked,
  outcomeOf,
  parserName,
  rootOf,
  streamFailure,
  unfinished,
} from "./format-parser.js";

/**
 * The cache writes a provider reports in a `*_tokens_details` object (OpenRouter, LiteLLM-style gateways
 * and others use either name); part of the input count, like cached reads.
 */
export function detailCacheWrites(r: CountReader, details: unknown): number {
  return Math.max(r.read(details, "cache_write_tokens"), r.read(details, "cache_creation_tokens"));
}

/**
 * Normalises an OpenAI Chat Completions usage object. prompt_tokens already includes
 * prompt_tokens_details.cached_tokens and completion_tokens includes reasoning_tokens, so nothing is
 * added. DeepSeek reports prompt_cache_hit_tokens + prompt_cache_miss_tokens (= prompt_tokens): the hits
 * are the cached input.
 */
export function openAiChatCounts(usage: unknown): CountsResult {
  const r = new CountReader();
  const promptTokens = r.read(usage, "prompt_tokens");
  const output = r.read(usage, "completion_tokens");
  const reportedTotal = r.read(usage, "total_tokens");
  const promptDetails = isRecord(usage) ? usage.prompt_tokens_details : undefined;
  const completionDetails = isRecord(usage) ? usage.completion_tokens_details : undefined;
  const cachedTokens = r.read(promptDetails, "cached_tokens");
  const cacheHits = r.read(usage, "prompt_cache_hit_tokens");
  const cacheMisses = r.read(usage, "prompt_cache_miss_tokens");
  const reasoning = r.read(completionDetails, "reasoning_tokens");
  const cacheWrite = detailCacheWrites(r, promptDetails);
  const input = Math.max(promptTokens, cacheHits + cacheMisses);
  // xAI reports reasoning_tokens OUTSIDE completion_tokens (its total is prompt + completion + reasoning);
  // everyone else inside. The total tells them apart.
  const exclusive = reasoning > 0 && reportedTotal === input + output + reasoning;
  return finishCounts(r, {
    input,
    cachedInput: cachedTokens || cacheHits,
    cacheWrite,
    output: exclusive ? output + reasoning : output,
    reasoning,
    reportedTotal,
  });
}

/** The usage object of a chat chunk: `usage`, or Groq's `x_groq.usage` (its streams put it there). */
function chunkUsage(d: Record<string, unknown>): Record<string, unknown> | undefined {
  if (isRecord(d.usage)) return d.usage;
  return isRecord(d.x_groq) && isRecord(d.x_groq.usage) ? d.x_groq.usage : undefined;
}

const CHAT_OBJECTS = new Set(["chat.completion", "text_completion"]);
const CHUNK_OBJECTS = new Set(["chat.completion.chunk", "text_completion"]);

/** OpenAI Chat Completions (and legacy Completions), JSON and SSE. */
export const openAiChatParser: FormatParser = {
  name: "openai-chat",
  matchesPath: (path) => /\/(?:chat\/)?completions$/.test(path),
  detect(input) {
    if (input.kind !== "json") {
      return (
        firstPicked(input.stream.events, (d) => CHUNK_OBJECTS.has(String(d.object)) || undefined) ?? false
      );
    }
    const { doc } = input;
    if (isRecord(doc.value)) return CHAT_OBJECTS.has(String(doc.value.object));
    return doc.truncated && headMatches(doc, /"object"\s*:\s*"(?:chat\.completion|text_completion)"/);
  },
  parse(input) {
    const name = parserName("openai-chat", input);
    if (input.kind !== "json") return parseStream(name, input.stream, input.request);
    const root = rootOf(input.doc, ["usage"], ["model"]);
    if (!isRecord(root)) return failure(name, null, jsonFailure(input.doc, "response is not a JSON object"));
    const model = cleanModel(root.model);
    if (!isRecord(root.usage)) return failure(name, model, jsonFailure(input.doc, "response has no usage"));
    return outcomeOf(name, model, openAiChatCounts(root.usage));
  },
};

/** The text a chat stream generated: content, reasoning, refusals and tool-call arguments. */
function streamedText(stream: SseStream): string {
  const out: string[] = [];
  for (const event of stream.events) {
    const choices = isRecord(event.json) ? event.json.choices : undefined;
    if (!Array.isArray(choices)) continue;
    for (const choice of choices) {
      const delta = isRecord(choice) ? choice.delta : undefined;
      if (!isRecord(delta)) continue;
      collectText(out, delta, "content", "reasoning_content", "reasoning", "refusal");
      if (!Array.isArray(delta.tool_calls)) continue;
      for (const call of delta.tool_calls) if (isRecord(call)) collectText(out, call.function, "arguments");
    }
  }
  return out.join("");
}

/** Whether the stream reached its end: the `[DONE]` sentinel or a choice with a finish_reason. */
function finished(stream: SseStream): boolean {
  const last = stream.events.at(-1);
  if (last?.data.trim() === "[DONE]") return true;
  const finish = lastPicked(stream.events, (d) =>
    Array.isArray(d.choices) && d.choices.some((c) => isRecord(c) && typeof c.finish_reason === "string")
      ? true
      : undefined,
  );
  return finish === true;
}

// Usage comes in a final chunk (empty choices at OpenAI, beside the last choice at Mistral, OpenRouter
// and others, under x_groq at Groq), and at OpenAI only when the request set stream_options.include_usage;
// OpenAI-compatible servers may repeat it cumulatively, so take the last.
function parseStream(name: string, stream: SseStream, request: RequestInfo): ParseOutcome {
  const model = cleanModel(firstPicked(stream.events, (d) => cleanModel(d.model) ?? undefined));
  const usage = lastPicked(stream.events, chunkUsage);
  if (usage) return outcomeOf(name, model, openAiChatCounts(usage));
  if (stream.events.length === 0) return failure(name, model, streamFailure(stream, "stream has no events"));
  const text = streamedText(stream);
  if (!finished(stream)) {
    return unfinished(name, model, streamFailure(stream, "stream cut off before its usage"), text);
  }
  if (stream.truncated) return unfinished(name, model, streamFailure(stream, "stream usage not found"), text);
  if (request.includeUsage === true) return unfinished(name, model, "stream has no usage chunk", text);
  return unfinished(name, model, "stream has no usage (request lacked stream_options.include_usage)", text);
}
