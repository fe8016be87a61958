import { CountReader, finishCounts, isRecord } from "../counts.js";
import { jsonLines, lastObjectForKey, stringForKey } from "../json-scan.js";
import { cleanModel } from "../request.js";
import type { CountsResult, ParseOutcome } from "../types.js";
import { anthropicCounts } from "./anthropic-messages.js";
import { failure, outcomeOf, type ParseInput } from "./format-parser.js";
import { geminiCounts } from "./gemini.js";
import { openAiChatCounts } from "./openai-chat.js";
import { openAiResponsesCounts } from "./openai-responses.js";

/** Ollama: prompt_eval_count in, eval_count out (durations beside them are nanoseconds, not tokens). */
export function ollamaCounts(o: unknown): CountsResult {
  const r = new CountReader();
  return finishCounts(r, { input: r.read(o, "prompt_eval_count"), output: r.read(o, "eval_count") });
}

/** AWS Bedrock Converse: like Anthropic, inputTokens excludes cache reads and writes. */
export function bedrockCounts(o: unknown): CountsResult {
  const r = new CountReader();
  const uncached = r.read(o, "inputTokens");
  const cacheRead = r.read(o, "cacheReadInputTokens");
  const cacheWrite = r.read(o, "cacheWriteInputTokens");
  const output = r.read(o, "outputTokens");
  const reportedTotal = r.read(o, "totalTokens");
  const input = uncached + cacheRead + cacheWrite;
  return finishCounts(r, { input, cachedInput: cacheRead, cacheWrite, output, reportedTotal });
}

/** Counts of an object holding usage keys directly, by which family of keys it has; else undefined. */
function flatCounts(o: Record<string, unknown>): CountsResult | undefined {
  if ("prompt_tokens" in o || "completion_tokens" in o) return openAiChatCounts(o);
  if ("input_tokens" in o || "output_tokens" in o) {
    const anthropic = "cache_read_input_tokens" in o || "cache_creation_input_tokens" in o;
    return anthropic ? anthropicCounts(o) : openAiResponsesCounts(o);
  }
  if ("promptTokenCount" in o || "candidatesTokenCount" in o) return geminiCounts(o);
  if ("prompt_eval_count" in o || "eval_count" in o) return ollamaCounts(o);
  if ("inputTokens" in o || "outputTokens" in o) return bedrockCounts(o);
  return undefined;
}

function objectCounts(o: Record<string, unknown>): CountsResult | undefined {
  if (isRecord(o.usage)) {
    const found = flatCounts(o.usage);
    if (found) return found;
  }
  if (isRecord(o.usageMetadata)) return geminiCounts(o.usageMetadata);
  return flatCounts(o);
}

interface Found {
  result: CountsResult;
  model: string | null;
}

const MAX_VISITED = 20_000;

/**
 * Breadth-first search for the shallowest object with usage keys; among several at that depth the last
 * wins (streams and arrays of chunks put the final, cumulative usage last).
 */
export function findUsage(root: unknown): Found | undefined {
  let level: unknown[] = [root];
  let visited = 0;
  while (level.length > 0 && visited < MAX_VISITED) {
    let found: Found | undefined;
    const next: unknown[] = [];
    for (const node of level) {
      if (++visited > MAX_VISITED) break;
      const children = Array.isArray(node) ? node : isRecord(node) ? Object.values(node) : [];
      if (isRecord(node)) {
        const result = objectCounts(node);
        if (result) found = { result, model: cleanModel(node.model) ?? cleanModel(node.modelVersion) };
      }
      for (const child of children) if (typeof child === "object" && child !== null) next.push(child);
    }
    if (found) return found;
    level = next;
  }
  return undefined;
}

function outcome(parser: string, found: Found, fallbackModel: string | null): ParseOutcome {
  return outcomeOf(parser, found.model ?? fallbackModel, found.result);
}

/** Last resort before regex rules: any JSON (or any SSE event's JSON) holding well-known usage keys. */
export function parseGeneric(input: ParseInput): ParseOutcome {
  if (input.kind === "sse") {
    const events = input.stream.events;
    const model =
      events.map((e) => (isRecord(e.json) ? cleanModel(e.json.model) : null)).find((m) => m) ?? null;
    for (let i = events.length - 1; i >= 0; i--) {
      const found = findUsage(events[i]?.json);
      if (found) return outcome("generic-sse", found, model);
    }
    return failure("generic-sse", model, "no usage keys in any event");
  }
  const { doc } = input;
  if (doc.value !== undefined) {
    const found = findUsage(doc.value);
    const rootModel = isRecord(doc.value) ? cleanModel(doc.value.model) : null;
    return found
      ? outcome("generic-json", found, rootModel)
      : failure("generic-json", null, "no usage keys in response");
  }
  const lines = jsonLines(doc);
  const fromLines = lines.length > 0 ? findUsage(lines) : undefined;
  const headModel = cleanModel(stringForKey(doc.head, "model", "first"));
  if (fromLines) return outcome("generic-json", fromLines, headModel);
  if (doc.truncated) {
    for (const key of ["usage", "usageMetadata"]) {
      const obj = lastObjectForKey(doc.tail, key) ?? lastObjectForKey(doc.head, key);
      const result = obj && (key === "usage" ? flatCounts(obj) : geminiCounts(obj));
      if (result) return outcome("generic-json", { result, model: null }, headModel);
    }
  }
  return failure("generic-json", headModel, doc.error ?? "no usage keys in response");
}
