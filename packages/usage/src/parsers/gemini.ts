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

/**
 * Gemini generateContent / streamGenerateContent: one JSON object, a JSON array of chunks (streaming
 * without alt=sse) or SSE (alt=sse). In streams each chunk repeats usageMetadata cumulatively: take the
 * last. The model is the response's modelVersion; the orchestration falls back to the path's model.
 */
export const geminiParser: FormatParser = {
  name: "gemini",
  matchesPath: (path) => /:(?:stream)?generateContent$/i.test(path),
  detect(input) {
    if (input.kind === "sse")
      return firstPicked(input.stream.events, (d) => hasGeminiShape(d) || undefined) ?? false;
    const { value } = input.doc;
    if (value !== undefined) return hasGeminiShape(Array.isArray(value) ? value[0] : value);
    return input.doc.truncated && headMatches(input.doc, /"(?:candidates|usageMetadata)"\s*:/);
  },
  parse(input) {
    const name = parserName("gemini", input);
    if (input.kind === "sse") {
      const { events } = input.stream;
      const model = lastPicked(events, versionOf) ?? null;
      const meta = lastPicked(events, metaOf);
      if (meta) return outcomeOf(name, model, geminiCounts(meta));
      return failure(name, model, streamFailure(input.stream, "stream has no usageMetadata"));
    }
    const root = rootOf(input.doc, ["usageMetadata"], ["modelVersion"]);
    const chunks = Array.isArray(root) ? root : [root];
    if (!chunks.some(isRecord))
      return failure(name, null, jsonFailure(input.doc, "response is not a JSON object"));
    let model: string | null = null;
    let meta: Record<string, unknown> | undefined;
    for (const chunk of chunks) {
      model = versionOf(chunk) ?? model;
      meta = metaOf(chunk) ?? meta;
    }
    if (!meta) return failure(name, model, jsonFailure(input.doc, "response has no usageMetadata"));
    return outcomeOf(name, model, geminiCounts(meta));
  },
};
