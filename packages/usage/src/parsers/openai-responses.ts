import { CountReader, finishCounts, isRecord } from "../counts.js";
import { cleanModel } from "../request.js";
import type { CountsResult } from "../types.js";
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
 * Normalises an OpenAI Responses API usage object: input_tokens includes
 * input_tokens_details.cached_tokens and output_tokens includes output_tokens_details.reasoning_tokens.
 */
export function openAiResponsesCounts(usage: unknown): CountsResult {
  const r = new CountReader();
  const input = r.read(usage, "input_tokens");
  const output = r.read(usage, "output_tokens");
  const reportedTotal = r.read(usage, "total_tokens");
  const inputDetails = isRecord(usage) ? usage.input_tokens_details : undefined;
  const outputDetails = isRecord(usage) ? usage.output_tokens_details : undefined;
  const cachedInput = r.read(inputDetails, "cached_tokens");
  const reasoning = r.read(outputDetails, "reasoning_tokens");
  return finishCounts(r, { input, cachedInput, output, reasoning, reportedTotal });
}

/** OpenAI Responses API (`/v1/responses`), JSON and SSE (`response.completed` carries the usage). */
export const openAiResponsesParser: FormatParser = {
  name: "openai-responses",
  // POST /responses and GET /responses/{id}; /responses/input_tokens only counts and is excluded earlier.
  matchesPath: (path) => /\/responses(?:\/[^/]+)?$/.test(path),
  detect(input) {
    if (input.kind === "sse") {
      const isEvent = (d: Record<string, unknown>) => String(d.type).startsWith("response.") || undefined;
      return firstPicked(input.stream.events, isEvent) ?? false;
    }
    const { doc } = input;
    if (isRecord(doc.value)) return doc.value.object === "response";
    return doc.truncated && headMatches(doc, /"object"\s*:\s*"response"/);
  },
  parse(input) {
    const name = parserName("openai-responses", input);
    if (input.kind === "sse") {
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
      return failure(
        name,
        model ?? null,
        streamFailure(input.stream, "stream has no response.completed usage"),
      );
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
