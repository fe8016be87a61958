import { CountReader, finishCounts, isRecord } from "../counts.js";
import { cleanModel } from "../request.js";
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
 * Normalises an Anthropic Messages usage object. Anthropic's input_tokens EXCLUDES cache writes and
 * cache reads, so tokenmeter's inputTokens is their sum; thinking tokens are inside output_tokens and
 * not reported apart, so reasoningTokens stays 0. cache_creation splits the writes by TTL (5-minute and
 * 1-hour writes are billed at different rates): the 1-hour part is cacheWrite1hTokens.
 */
export function anthropicCounts(usage: unknown): CountsResult {
  const r = new CountReader();
  const uncached = r.read(usage, "input_tokens");
  const cacheRead = r.read(usage, "cache_read_input_tokens");
  let cacheWrite = r.read(usage, "cache_creation_input_tokens");
  const breakdown = isRecord(usage) ? usage.cache_creation : undefined;
  const write5m = r.read(breakdown, "ephemeral_5m_input_tokens");
  const write1h = r.read(breakdown, "ephemeral_1h_input_tokens");
  // The breakdown stands in for a missing total; a total smaller than its parts is rejected below.
  if (cacheWrite === 0) cacheWrite = write5m + write1h;
  if (write5m + write1h > cacheWrite && !r.problem) {
    return { error: "cache_creation breakdown exceeds cache_creation_input_tokens" };
  }
  const output = r.read(usage, "output_tokens");
  return finishCounts(r, {
    input: uncached + cacheWrite + cacheRead,
    cachedInput: cacheRead,
    cacheWrite,
    cacheWrite1h: write1h,
    output,
  });
}

const STREAM_TYPES = new Set(["message_start", "message_delta"]);

/** Anthropic Messages (`/v1/messages`), JSON and SSE. */
export const anthropicMessagesParser: FormatParser = {
  name: "anthropic-messages",
  matchesPath: (path) => /\/v1\/messages$/.test(path),
  detect(input) {
    if (input.kind !== "json") {
      return firstPicked(input.stream.events, (d) => STREAM_TYPES.has(String(d.type)) || undefined) ?? false;
    }
    const { doc } = input;
    if (isRecord(doc.value)) return doc.value.type === "message";
    return doc.truncated && headMatches(doc, /"type"\s*:\s*"message"/);
  },
  parse(input) {
    const name = parserName("anthropic-messages", input);
    if (input.kind !== "json") return parseStream(name, input.stream);
    const root = rootOf(input.doc, ["usage"], ["model"]);
    if (!isRecord(root)) return failure(name, null, jsonFailure(input.doc, "response is not a JSON object"));
    const model = cleanModel(root.model);
    if (!isRecord(root.usage)) return failure(name, model, jsonFailure(input.doc, "response has no usage"));
    return outcomeOf(name, model, anthropicCounts(root.usage));
  },
};

function streamedText(stream: SseStream): string {
  const out: string[] = [];
  for (const e of stream.events) {
    if (isRecord(e.json) && e.json.type === "content_block_delta") {
      collectText(out, e.json.delta, "text", "partial_json", "thinking");
    }
  }
  return out.join("");
}

/**
 * message_start carries the input side (and output_tokens so far); each message_delta carries the
 * CUMULATIVE output_tokens, so the last one wins and deltas are never summed. With server tools (web
 * search, code execution) message_delta also carries updated input and cache counts: when present they
 * supersede message_start's. A stream cut before any message_delta has only message_start's input
 * side: it goes to the missing-usage policy with those counts and the text streamed so far.
 */
function parseStream(name: string, stream: SseStream): ParseOutcome {
  const { events } = stream;
  const message = firstPicked(events, (d) =>
    d.type === "message_start" && isRecord(d.message) ? d.message : undefined,
  );
  const delta = lastPicked(events, (d) =>
    d.type === "message_delta" && isRecord(d.usage) ? d.usage : undefined,
  );
  const model = cleanModel(message?.model);
  const startUsage = isRecord(message?.usage) ? message.usage : undefined;
  if (!startUsage && !delta) {
    return failure(name, model, streamFailure(stream, "stream has no message usage"));
  }
  const merged: Record<string, unknown> = { ...startUsage };
  for (const [key, value] of Object.entries(delta ?? {})) {
    if (value !== null && value !== undefined) merged[key] = value;
  }
  const result = anthropicCounts(merged);
  if (delta || result.error) return outcomeOf(name, model, result);
  const reason = streamFailure(stream, "stream cut off before message_delta");
  return unfinished(name, model, reason, streamedText(stream), result.counts);
}
