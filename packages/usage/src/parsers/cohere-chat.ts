import { CountReader, finishCounts, isRecord } from "../counts.js";
import { jsonLines } from "../json-scan.js";
import { cleanModel } from "../request.js";
import type { CountsResult, ParseOutcome } from "../types.js";
import {
  collectText,
  type FormatParser,
  failure,
  firstPicked,
  headMatches,
  jsonFailure,
  outcomeOf,
  parserName,
  rootOf,
  unfinished,
} from "./format-parser.js";

/**
 * Normalises a Cohere usage: `billed_units` is what Cohere bills; `tokens` (what the model saw, with the
 * prompt template) is larger and only read when no billed units are given.
 */
export function cohereCounts(usage: unknown): CountsResult {
  const billed = isRecord(usage) && isRecord(usage.billed_units) ? usage.billed_units : undefined;
  const source = billed ?? (isRecord(usage) && isRecord(usage.tokens) ? usage.tokens : undefined);
  if (!source) return { error: "usage has neither billed_units nor tokens" };
  const r = new CountReader();
  return finishCounts(r, { input: r.read(source, "input_tokens"), output: r.read(source, "output_tokens") });
}

// v2 chat puts the usage at `usage`; v1 chat at `meta` (same billed_units/tokens inside).
const usageOf = (d: Record<string, unknown>) =>
  isRecord(d.usage) ? d.usage : isRecord(d.meta) && isRecord(d.meta.billed_units) ? d.meta : undefined;

function streamedText(chunks: readonly Record<string, unknown>[]): string {
  const out: string[] = [];
  for (const chunk of chunks) {
    const message = isRecord(chunk.delta) ? chunk.delta.message : undefined;
    if (!isRecord(message)) continue;
    collectText(out, message, "tool_plan");
    if (isRecord(message.content)) collectText(out, message.content, "text", "thinking");
    if (isRecord(message.tool_calls) && isRecord(message.tool_calls.function)) {
      collectText(out, message.tool_calls.function, "arguments");
    }
  }
  return out.join("");
}

/**
 * v2 streams (SSE, or JSON lines) end with a `message-end` event whose delta carries the usage; a stream
 * without one was cut off and goes to the missing-usage policy.
 */
function parseChunks(
  name: string,
  chunks: readonly Record<string, unknown>[],
  truncated: boolean,
): ParseOutcome {
  let usage: Record<string, unknown> | undefined;
  for (const d of chunks) {
    if (d.type === "message-end" && isRecord(d.delta) && isRecord(d.delta.usage)) usage = d.delta.usage;
  }
  if (usage) return outcomeOf(name, null, cohereCounts(usage));
  const cut = truncated
    ? "stream cut off before message-end in the captured head/tail of a truncated stream"
    : "stream cut off before message-end";
  if (chunks.length === 0) return failure(name, null, "stream has no JSON events");
  return unfinished(name, null, cut, streamedText(chunks));
}

const isStreamEvent = (d: unknown) => isRecord(d) && d.type === "message-start";

/** Cohere chat: v2 (`/v2/chat`, JSON and SSE) and v1 (`/v1/chat`, JSON). The model is the request's. */
export const cohereChatParser: FormatParser = {
  name: "cohere-chat",
  matchesPath: (path) => /\/v[12]\/chat$/.test(path),
  detect(input) {
    if (input.kind === "sse")
      return firstPicked(input.stream.events, (d) => isStreamEvent(d) || undefined) ?? false;
    if (input.kind !== "json") return false;
    const { doc } = input;
    if (doc.value === undefined) return isStreamEvent(jsonLines({ ...doc, tail: "" })[0]);
    if (isRecord(doc.value)) {
      const usage = usageOf(doc.value);
      return isRecord(usage) && (isRecord(usage.billed_units) || isRecord(usage.tokens));
    }
    return doc.truncated && headMatches(doc, /"finish_reason"\s*:\s*"COMPLETE"|"billed_units"\s*:/);
  },
  parse(input) {
    const name = parserName("cohere-chat", input);
    if (input.kind !== "json") {
      const chunks = input.stream.events.map((e) => e.json).filter(isRecord);
      return parseChunks(name, chunks, input.stream.truncated);
    }
    if (input.doc.value === undefined) {
      const lines = jsonLines(input.doc).filter(isRecord);
      if (isStreamEvent(lines[0]) || lines.some((l) => l.type === "message-end")) {
        return parseChunks(name, lines, input.doc.truncated);
      }
    }
    const root = rootOf(input.doc, ["usage", "meta"], []);
    if (!isRecord(root)) return failure(name, null, jsonFailure(input.doc, "response is not a JSON object"));
    const usage = usageOf(root);
    if (!usage) return failure(name, null, jsonFailure(input.doc, "response has no usage"));
    return outcomeOf(name, cleanModel(root.model), cohereCounts(usage));
  },
};
