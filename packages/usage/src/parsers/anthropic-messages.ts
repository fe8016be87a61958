import { CountReader, finishCounts, isRecord } from "../counts.js";
import { cleanModel } from "../request.js";
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
 * Normalises an Anthropic Messages usage object. Anthropic's input_tokens EXCLUDES cache writes and
 * cache reads, so tokenmeter's inputTokens is their sum; thinking tokens are inside output_tokens and
 * not reported apart, so reasoningTokens stays 0.
 */
export function anthropicCounts(usage: unknown): CountsResult {
  const r = new CountReader();
  const uncached = r.read(usage, "input_tokens");
  const cacheRead = r.read(usage, "cache_read_input_tokens");
  let cacheWrite = r.read(usage, "cache_creation_input_tokens");
  const breakdown = isRecord(usage) ? usage.cache_creation : undefined;
  // cache_creation breaks writes down by TTL; use it only if the total is missing.
  if (cacheWrite === 0 && isRecord(breakdown)) {
    cacheWrite =
      r.read(breakdown, "ephemeral_5m_input_tokens") + r.read(breakdown, "ephemeral_1h_input_tokens");
  }
  const output = r.read(usage, "output_tokens");
  return finishCounts(r, {
    input: uncached + cacheWrite + cacheRead,
    cachedInput: cacheRead,
    cacheWrite,
    output,
  });
}

const STREAM_TYPES = new Set(["message_start", "message_delta"]);

/** Anthropic Messages (`/v1/messages`), JSON and SSE. */
export const anthropicMessagesParser: FormatParser = {
  name: "anthropic-messages",
  matchesPath: (path) => /\/v1\/messages$/.test(path),
  detect(input) {
    if (input.kind === "sse") {
      return firstPicked(input.stream.events, (d) => STREAM_TYPES.has(String(d.type)) || undefined) ?? false;
    }
    const { doc } = input;
    if (isRecord(doc.value)) return doc.value.type === "message";
    return doc.truncated && headMatches(doc, /"type"\s*:\s*"message"/);
  },
  parse(input) {
    const name = parserName("anthropic-messages", input);
    if (input.kind === "sse") return parseStream(name, input.stream);
    const root = rootOf(input.doc, ["usage"], ["model"]);
    if (!isRecord(root)) return failure(name, null, jsonFailure(input.doc, "response is not a JSON object"));
    const model = cleanModel(root.model);
    if (!isRecord(root.usage)) return failure(name, model, jsonFailure(input.doc, "response has no usage"));
    return outcomeOf(name, model, anthropicCounts(root.usage));
  },
};

/**
 * message_start carries the input side (and output_tokens so far); each message_delta carries the
 * CUMULATIVE output_tokens, so the last one wins and deltas are never summed. Newer APIs also put
 * input/cache counts in message_delta; when present they supersede message_start's. A stream cut
 * before message_delta reports message_start's counts: what the provider had reported by then.
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
  return outcomeOf(name, model, anthropicCounts(merged));
}
