import { CountReader, finishCounts, isRecord } from "../counts.js";
import { cleanModel } from "../request.js";
import type { SseEvent } from "../sse.js";
import type { CountsResult } from "../types.js";
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
import { detailCacheWrites } from "./openai-chat.js";

/**
 * Normalises an OpenAI Responses API usage object: input_tokens includes
 * input_tokens_details.cached_tokens (and the cache writes some providers report beside it) and
 * output_tokens includes output_tokens_details.reasoning_tokens.
 */
export function openAiResponsesCounts(usage: unknown): CountsResult {
  const r = new CountReader();
  const input = r.read(usage, "input_tokens");
  const output = r.read(usage, "output_tokens");
  const reportedTotal = r.read(usage, "total_tokens");
  const inputDetails = isRecord(usage) ? usage.input_tokens_details : undefined;
  const outputDetails = isRecord(usage) ? usage.output_tokens_details : undefined;
  const cachedInput = r.read(inputDetails, "cached_tokens");
  const cacheWrite = detailCacheWrites(r, inputDetails);
  const reasoning = r.read(outputDetails, "reasoning_tokens");
  return finishCounts(r, { input, cachedInput, cacheWrite, output, reasoning, reportedTotal });
}

// Events whose `delta` string is generated text: output, reasoning summaries, refusals, tool arguments.
const TEXT_DELTAS = new Set([
  "response.output_text.delta",
  "response.reasoning_text.delta",
  "response.reasoning_summary_text.delta",
  "response.refusal.delta",
  "response.function_call_arguments.delta",
  "response.custom_tool_call_input.delta",
]);

function streamedText(events: readonly SseEvent[]): string {
  const out: string[] = [];
  for (const e of events)
    if (isRecord(e.json) && TEXT_DELTAS.has(String(e.json.type))) collectText(out, e.json, "delta");
  return out.join("");
}

/** OpenAI Responses API (`/v1/responses`), JSON and SSE (`response.completed` carries the usage). */
export const openAiResponsesParser: FormatParser = {
  name: "openai-responses",
  // POST /responses and GET /responses/{id}; /responses/input_tokens only counts and is excluded earlier.
  matchesPath: (path) => /\/responses(?:\/[^/]+)?$/.test(path),
  detect(input) {
    if (input.kind !== "json") {
      const isEvent = (d: Record<string, unknown>) => String(d.type).startsWith("response.") || undefined;
      return firstPicked(input.stream.events, isEvent) ?? false;
    }
    const { doc } = input;
    if (isRecord(doc.value)) return doc.value.object === "response";
    return doc.truncated && headMatches(doc, /"object"\s*:\s*"response"/);
  },
  parse(input) {
    const name = parserName("openai-responses", input);
    if (input.kind !== "json") {
      const { events } = input.stream;
      const model = firstPicked(
        events,
        (d) => (isRecord(d.response) ? cleanModel(d.response.model) : null) ?? undefined,
      );
      // response.completed, or response.incomplete / response.failed, which also carry the usage so far.
      const usage = lastPicked(events, (d) =>
        isRecord(d.response) && isRecord(d.response.usage) ? d.response.usage : undefined,
      );
      if (usage) return outcomeOf(name, model ?? null, openAiResponsesCounts(usage));
      if (events.length === 0)
        return failure(name, model ?? null, streamFailure(input.stream, "stream has no events"));
      const reason = streamFailure(input.stream, "stream cut off before response.completed");
      return unfinished(name, model ?? null, reason, streamedText(events));
    }
    const root = rootOf(input.doc, ["usage"], ["model"]);
    if (!isRecord(root)) return failure(name, null, jsonFailure(input.doc, "response is not a JSON object"));
    const model = cleanModel(root.model);
    if (isRecord(root.usage)) return outcomeOf(name, model, openAiResponsesCounts(root.usage));
    // A background response that is still queued or in progress has usage null.
    const status = typeof root.status === "string" ? ` (status ${root.status.slice(0, 32)})` : "";
    return failure(name, model, jsonFailure(input.doc, `response has no usage${status}`));
  },
};
