import { CountReader, finishCounts, isRecord } from "../counts.js";
import { partialRoot } from "../json-scan.js";
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
  streamFailure,
  unfinished,
} from "./format-parser.js";

/**
 * Normalises a Gemini usageMetadata. promptTokenCount includes cachedContentTokenCount; thoughts are
 * billed as output but NOT inside candidatesTokenCount, so output = candidates + thoughts; tool-use
 * prompt tokens are input not inside promptTokenCount, so input = prompt + toolUsePrompt.
 */
export function geminiCounts(meta: unknown): CountsResult {
  const r = new CountReader();
  const prompt = r.read(meta, "promptTokenCount");
  const toolPrompt = r.read(meta, "toolUsePromptTokenCount");
  const cachedInput = r.read(meta, "cachedContentTokenCount");
  const candidates = r.read(meta, "candidatesTokenCount");
  const thoughts = r.read(meta, "thoughtsTokenCount");
  const reportedTotal = r.read(meta, "totalTokenCount");
  if (cachedInput > prompt && !r.problem) {
    return { error: "cachedContentTokenCount exceeds promptTokenCount" };
  }
  const output = candidates + thoughts;
  return finishCounts(r, {
    input: prompt + toolPrompt,
    cachedInput,
    output,
    reasoning: thoughts,
    reportedTotal,
  });
}

const hasGeminiShape = (d: unknown) => isRecord(d) && ("usageMetadata" in d || "candidates" in d);
const metaOf = (d: unknown) => (isRecord(d) && isRecord(d.usageMetadata) ? d.usageMetadata : undefined);
const versionOf = (d: unknown) => (isRecord(d) ? (cleanModel(d.modelVersion) ?? undefined) : undefined);
const candidatesOf = (d: unknown): unknown[] =>
  isRecord(d) && Array.isArray(d.candidates) ? d.candidates : [];
/** A chunk that ends the response: a candidate with a finishReason, or a blocked prompt. */
const isFinal = (d: unknown) =>
  candidatesOf(d).some((c) => isRecord(c) && typeof c.finishReason === "string") ||
  (isRecord(d) && isRecord(d.promptFeedback) && typeof d.promptFeedback.blockReason === "string");

function streamedText(chunks: readonly unknown[]): string {
  const out: string[] = [];
  for (const chunk of chunks) {
    for (const candidate of candidatesOf(chunk)) {
      const parts = isRecord(candidate) && isRecord(candidate.content) ? candidate.content.parts : undefined;
      if (!Array.isArray(parts)) continue;
      for (const part of parts) collectText(out, part, "text");
    }
  }
  return out.join("");
}

/**
 * The usage of a sequence of chunks: every chunk repeats usageMetadata as running totals, so the last
 * wins. Without a final chunk (finishReason) the stream was cut off: the running totals so far go to the
 * missing-usage policy.
 */
function chunksOutcome(name: string, chunks: readonly unknown[], cutReason: string | null): ParseOutcome {
  let model: string | null = null;
  let meta: Record<string, unknown> | undefined;
  let final = false;
  for (const chunk of chunks) {
    model = versionOf(chunk) ?? model;
    meta = metaOf(chunk) ?? meta;
    final ||= isFinal(chunk);
  }
  const result = meta ? geminiCounts(meta) : undefined;
  if (result?.error) return outcomeOf(name, model, result);
  if (final && result?.counts) return outcomeOf(name, model, result);
  const reason =
    cutReason ?? (meta ? "stream cut off before its final chunk" : "stream has no usageMetadata");
  return unfinished(name, model, reason, streamedText(chunks), result?.counts ?? null);
}

/**
 * Gemini generateContent / streamGenerateContent: one JSON object, a JSON array of chunks (streaming
 * without alt=sse) or SSE (alt=sse). In streams each chunk repeats usageMetadata cumulatively: take the
 * last. The model is the response's modelVersion; the orchestration falls back to the path's model.
 */
export const geminiParser: FormatParser = {
  name: "gemini",
  matchesPath: (path) => /:(?:stream)?generateContent$/i.test(path),
  detect(input) {
    if (input.kind !== "json")
      return firstPicked(input.stream.events, (d) => hasGeminiShape(d) || undefined) ?? false;
    const { value } = input.doc;
    if (value !== undefined) return hasGeminiShape(Array.isArray(value) ? value[0] : value);
    return input.doc.truncated && headMatches(input.doc, /"(?:candidates|usageMetadata)"\s*:/);
  },
  parse(input) {
    const name = parserName("gemini", input);
    if (input.kind !== "json") {
      const { stream } = input;
      const chunks = stream.events.map((e) => e.json).filter(isRecord);
      if (chunks.length === 0) return failure(name, null, streamFailure(stream, "stream has no JSON events"));
      const outcome = chunksOutcome(name, chunks, null);
      if (outcome.remains && stream.truncated)
        outcome.remains.reason = streamFailure(stream, outcome.remains.reason);
      return outcome;
    }
    const { doc } = input;
    // streamGenerateContent without alt=sse is one JSON array of chunks; cut off, it no longer parses.
    const cutArray = doc.value === undefined && !doc.truncated && doc.head.trimStart().startsWith("[");
    if (doc.value === undefined && (doc.truncated || cutArray)) {
      const root = partialRoot(doc, ["usageMetadata"], ["modelVersion"]);
      if (!isRecord(root.usageMetadata)) {
        return failure(name, versionOf(root) ?? null, jsonFailure(doc, "response has no usageMetadata"));
      }
      const final = /"finishReason"\s*:/.test(doc.tail || doc.head.slice(-4096));
      const chunk = final ? { ...root, candidates: [{ finishReason: "STOP" }] } : root;
      return chunksOutcome(name, [chunk], cutArray ? "JSON array stream cut off before its end" : null);
    }
    // A whole body (one answer, or a JSON array the server closed) is complete: its last usage is final.
    const chunks = Array.isArray(doc.value) ? doc.value : [doc.value];
    if (!chunks.some(isRecord)) return failure(name, null, jsonFailure(doc, "response is not a JSON object"));
    let model: string | null = null;
    let meta: Record<string, unknown> | undefined;
    for (const chunk of chunks) {
      model = versionOf(chunk) ?? model;
      meta = metaOf(chunk) ?? meta;
    }
    if (!meta) return failure(name, model, jsonFailure(doc, "response has no usageMetadata"));
    return outcomeOf(name, model, geminiCounts(meta));
  },
};
