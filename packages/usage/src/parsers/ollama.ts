import { CountReader, finishCounts, isRecord } from "../counts.js";
import { jsonLines } from "../json-scan.js";
import { cleanModel } from "../request.js";
import type { CountsResult } from "../types.js";
import {
  collectText,
  type FormatParser,
  failure,
  headMatches,
  jsonFailure,
  outcomeOf,
  unfinished,
} from "./format-parser.js";

/** Ollama: prompt_eval_count in, eval_count out (the durations beside them are nanoseconds, not tokens). */
export function ollamaCounts(o: unknown): CountsResult {
  const r = new CountReader();
  return finishCounts(r, { input: r.read(o, "prompt_eval_count"), output: r.read(o, "eval_count") });
}

const isOllama = (d: unknown) =>
  isRecord(d) && typeof d.done === "boolean" && typeof d.created_at === "string";

/**
 * Ollama `/api/chat` and `/api/generate`: one JSON object, or (streaming, the default) newline-delimited
 * JSON objects of which the last, `done: true`, carries prompt_eval_count and eval_count. A stream
 * without that object was cut off and goes to the missing-usage policy.
 */
export const ollamaParser: FormatParser = {
  name: "ollama",
  matchesPath: (path) => /\/api\/(?:chat|generate)$/.test(path),
  detect(input) {
    if (input.kind !== "json") return false;
    const { doc } = input;
    if (doc.value !== undefined) return isOllama(doc.value);
    return headMatches(doc, /^\s*\{"model"\s*:\s*"[^"]*"\s*,\s*"created_at"\s*:/);
  },
  parse(input) {
    const name = "ollama";
    if (input.kind !== "json") return failure(name, null, "Ollama does not stream server-sent events");
    const { doc } = input;
    const objects = doc.value !== undefined ? [doc.value] : jsonLines(doc);
    const chunks = objects.filter(isRecord);
    if (chunks.length === 0) return failure(name, null, jsonFailure(doc, "response has no JSON objects"));
    const model = chunks.map((c) => cleanModel(c.model)).find(Boolean) ?? null;
    const final = chunks.findLast((c) => c.done === true);
    if (final) return outcomeOf(name, cleanModel(final.model) ?? model, ollamaCounts(final));
    const out: string[] = [];
    for (const c of chunks) {
      collectText(out, c, "response", "thinking");
      if (isRecord(c.message)) collectText(out, c.message, "content", "thinking");
    }
    const reason = doc.truncated
      ? "stream cut off before its done object in the captured head/tail of a truncated stream"
      : "stream cut off before its done object";
    return unfinished(name, model, reason, out.join(""));
  },
};
