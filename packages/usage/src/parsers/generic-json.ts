import { CountReader, finishCounts, isRecord } from "../counts.js";
import { jsonLines, lastObjectForKey, stringForKey } from "../json-scan.js";
import { cleanModel } from "../request.js";
import type { CountsResult, ParseOutcome } from "../types.js";
import { anthropicCounts } from "./anthropic-messages.js";
import { bedrockCounts } from "./bedrock-converse.js";
import { cohereCounts } from "./cohere-chat.js";
import { failure, outcomeOf, type ParseInput } from "./format-parser.js";
import { geminiCounts } from "./gemini.js";
import { ollamaCounts } from "./ollama.js";
import { openAiChatCounts } from "./openai-chat.js";
import { openAiResponsesCounts } from "./openai-responses.js";

/** Counts of an object holding usage keys directly, by which family of keys it has; else undefined. */
function flatCounts(o: Record<string, unknown>): CountsResult | undefined {
  if ("billed_units" in o) return cohereCounts(o);
  if ("prompt_tokens" in o || "completion_tokens" in o || "prompt_cache_hit_tokens" in o) {
    return openAiChatCounts(o);
  }
  if ("input_tokens" in o || "output_tokens" in o) {
    const anthropic = "cache_read_input_tokens" in o || "cache_creation_input_tokens" in o;
    return anthropic ? anthropicCounts(o) : openAiResponsesCounts(o);
  }
  if ("promptTokenCount" in o || "candidatesTokenCount" in o) return geminiCounts(o);
  if ("prompt_eval_count" in o || "eval_count" in o) return ollamaCounts(o);
  if ("inputTokens" in o || "outputTokens" in o) return bedrockCounts(o);
  if ("inputTokenCount" in o || "outputTokenCount" in o) {
    // Bedrock InvokeModel's amazon-bedrock-invocationMetrics.
    const r = new CountReader();
    return finishCounts(r, { input: r.read(o, "inputTokenCount"), output: r.read(o, "outputTokenCount") });
  }
  return undefined;
}

const sub = (o: Record<string, unknown>, key: string) => (isRecord(o[key]) ? o[key] : undefined);

/**
 * Usage at the positions providers put it, in one top-level object: `usage`, `usageMetadata`,
 * `x_groq.usage`, `response.usage`, `message.usage`, `delta.usage`, `meta` (Cohere v1), `metadata.usage`,
 * `amazon-bedrock-invocationMetrics`, or usage keys on the object itself.
 */
function knownCounts(o: Record<string, unknown>): CountsResult | undefined {
  const usage = sub(o, "usage");
  const found = usage && flatCounts(usage);
  if (found) return found;
  const meta = sub(o, "usageMetadata");
  if (meta) return geminiCounts(meta);
  for (const parent of ["x_groq", "response", "message", "delta", "metadata"]) {
    const nested = sub(o, parent);
    const nestedUsage = nested && sub(nested, "usage");
    const counts = nestedUsage && flatCounts(nestedUsage);
    if (counts) return counts;
  }
  const cohereV1 = sub(o, "meta");
  if (cohereV1 && isRecord(cohereV1.billed_units)) return cohereCounts(cohereV1);
  const bedrock = sub(o, "amazon-bedrock-invocationMetrics");
  if (bedrock) return flatCounts(bedrock);
  return flatCounts(o);
}

// Keys under which numbers describe a failure, never usage (an error may quote a token limit).
const NOT_ENVELOPES = new Set(["error", "errors", "detail", "details", "message", "response"]);

/**
 * Usage of one top-level chunk: its known positions, else those of one unnamed envelope level
 * (`{"result": {...}}`). Never inside arrays (choices, content, candidates, output hold generated text
 * and tool arguments) nor under error objects: a "usage" there was written by a model or a user.
 */
function chunkCounts(o: Record<string, unknown>): Found | undefined {
  const found = knownCounts(o);
  if (found) return { result: found, model: chunkModel(o) };
  for (const [key, child] of Object.entries(o)) {
    if (NOT_ENVELOPES.has(key) || !isRecord(child)) continue;
    const usage = sub(child, "usage");
    const result = usage
      ? flatCounts(usage)
      : isRecord(child.usageMetadata)
        ? geminiCounts(child.usageMetadata)
        : undefined;
    if (result) return { result, model: chunkModel(child) ?? chunkModel(o) };
  }
  return undefined;
}

function chunkModel(o: Record<string, unknown>): string | null {
  for (const holder of [o, sub(o, "message"), sub(o, "response")]) {
    if (!holder) continue;
    const model = cleanModel(holder.model) ?? cleanModel(holder.modelVersion);
    if (model) return model;
  }
  return null;
}

interface Found {
  result: CountsResult;
  model: string | null;
}

/** The last top-level chunk with usage (streams and arrays of chunks put the final usage last). */
function findUsage(chunks: readonly unknown[]): Found | undefined {
  for (let i = chunks.length - 1; i >= 0; i--) {
    const chunk = chunks[i];
    if (!isRecord(chunk)) continue;
    const found = chunkCounts(chunk);
    if (found) return found;
  }
  return undefined;
}

function firstModel(chunks: readonly unknown[]): string | null {
  for (const chunk of chunks) {
    const model = isRecord(chunk) ? chunkModel(chunk) : null;
    if (model) return model;
  }
  return null;
}

function outcome(parser: string, found: Found, fallbackModel: string | null): ParseOutcome {
  return outcomeOf(parser, found.model ?? fallbackModel, found.result);
}

/**
 * Last resort before regex rules: well-known usage keys at the known positions of any JSON body, JSON
 * array, JSON lines or stream event. It reads structure only, so a "usage" inside generated text, tool
 * arguments or an error message is never taken.
 */
export function parseGeneric(input: ParseInput): ParseOutcome {
  if (input.kind !== "json") {
    const name = input.kind === "sse" ? "generic-sse" : "generic-stream";
    const chunks = input.stream.events.map((e) => e.json);
    const found = findUsage(chunks);
    const model = firstModel(chunks);
    return found ? outcome(name, found, model) : failure(name, model, "no usage keys in any event");
  }
  const { doc } = input;
  if (doc.value !== undefined) {
    const chunks = Array.isArray(doc.value) ? doc.value : [doc.value];
    const found = findUsage(chunks);
    return found
      ? outcome("generic-json", found, firstModel(chunks))
      : failure("generic-json", firstModel(chunks), "no usage keys in response");
  }
  const lines = jsonLines(doc);
  const fromLines = findUsage(lines);
  const headModel = firstModel(lines) ?? cleanModel(stringForKey(doc.head, "model", "first"));
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
