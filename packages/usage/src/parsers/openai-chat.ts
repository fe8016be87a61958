import { CountReader, finishCounts, isRecord } from "../counts.js";
import { cleanModel, type RequestInfo } from "../request.js";
import type { SseStream } from "../sse.js";
import type { CountsResult, ParseOutcome } from "../types.js";
import {
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
} from "./format-parser.js";

/**
 * Normalises an OpenAI Chat Completions usage object. prompt_tokens already includes
 * prompt_tokens_details.cached_tokens and completion_tokens includes reasoning_tokens, so nothing is
 * added. DeepSeek-style prompt_cache_hit_tokens (also part of prompt_tokens) is read when no
 * cached_tokens is given.
 */
export function openAiChatCounts(usage: unknown): CountsResult {
  const r = new CountReader();
  const input = r.read(usage, "prompt_tokens");
  const output = r.read(usage, "completion_tokens");
  const reportedTotal = r.read(usage, "total_tokens");
  const promptDetails = isRecord(usage) ? usage.prompt_tokens_details : undefined;
  const completionDetails = isRecord(usage) ? usage.completion_tokens_details : undefined;
  const cachedTokens = r.read(promptDetails, "cached_tokens");
  const cacheHits = r.read(usage, "prompt_cache_hit_tokens");
  const reasoning = r.read(completionDetails, "reasoning_tokens");
  return finishCounts(r, { input, cachedInput: cachedTokens || cacheHits, output, reasoning, reportedTotal });
}

const CHAT_OBJECTS = new Set(["chat.completion", "text_completion"]);
const CHUNK_OBJECTS = new Set(["chat.completion.chunk", "text_completion"]);

/** OpenAI Chat Completions (and legacy Completions), JSON and SSE. */
export const openAiChatParser: FormatParser = {
  name: "openai-chat",
  matchesPath: (path) => /\/(?:chat\/)?completions$/.test(path),
  detect(input) {
    if (input.kind === "sse") {
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
    if (input.kind === "sse") return parseStream(name, input.stream, input.request);
    const root = rootOf(input.doc, ["usage"], ["model"]);
    if (!isRecord(root)) return failure(name, null, jsonFailure(input.doc, "response is not a JSON object"));
    const model = cleanModel(root.model);
    if (!isRecord(root.usage)) return failure(name, model, jsonFailure(input.doc, "response has no usage"));
    return outcomeOf(name, model, openAiChatCounts(root.usage));
  },
};

// Usage comes in a final chunk with empty choices, and only when the request set
// stream_options.include_usage; OpenAI-compatible servers may repeat it cumulatively, so take the last.
function parseStream(name: string, stream: SseStream, request: RequestInfo): ParseOutcome {
  const model = cleanModel(firstPicked(stream.events, (d) => cleanModel(d.model) ?? undefined));
  const usage = lastPicked(stream.events, (d) => (isRecord(d.usage) ? d.usage : undefined));
  if (usage) return outcomeOf(name, model, openAiChatCounts(usage));
  if (stream.truncated) return failure(name, model, streamFailure(stream, "stream usage not found"));
  if (request.includeUsage === true) return failure(name, model, "stream has no usage chunk (ended early?)");
  return failure(name, model, "stream has no usage (request lacked stream_options.include_usage)");
}
