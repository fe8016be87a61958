import { CountReader, finishCounts, isRecord } from "../counts.js";
import { cleanModel } from "../request.js";
import type { CountsResult } from "../types.js";
import { type FormatParser, failure, headMatches, jsonFailure, outcomeOf, rootOf } from "./format-parser.js";

/** Normalises an OpenAI embeddings usage object: prompt_tokens in, nothing out. */
function openAiEmbeddingsCounts(usage: unknown): CountsResult {
  const r = new CountReader();
  const input = r.read(usage, "prompt_tokens");
  const reportedTotal = r.read(usage, "total_tokens");
  return finishCounts(r, { input, output: 0, reportedTotal });
}

/** OpenAI embeddings (`/v1/embeddings`). The vectors make these bodies large, so they are often truncated. */
export const openAiEmbeddingsParser: FormatParser = {
  name: "openai-embeddings",
  matchesPath: (path) => /\/embeddings$/.test(path),
  detect(input) {
    if (input.kind !== "json") return false;
    const { doc } = input;
    if (isRecord(doc.value)) {
      const data = doc.value.data;
      return (
        doc.value.object === "list" &&
        Array.isArray(data) &&
        isRecord(data[0]) &&
        data[0].object === "embedding"
      );
    }
    return doc.truncated && headMatches(doc, /"object"\s*:\s*"embedding"/);
  },
  parse(input) {
    const name = "openai-embeddings";
    if (input.kind !== "json") return failure(name, null, "embeddings are not streamed");
    // "model" follows the vectors, so in a truncated body it is in the tail.
    const root = rootOf(input.doc, ["usage"], ["model"]);
    if (!isRecord(root)) return failure(name, null, jsonFailure(input.doc, "response is not a JSON object"));
    const model = cleanModel(root.model);
    if (!isRecord(root.usage)) return failure(name, model, jsonFailure(input.doc, "response has no usage"));
    return outcomeOf(name, model, openAiEmbeddingsCounts(root.usage));
  },
};
