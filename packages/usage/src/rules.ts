import { RE2JS } from "re2js";
import { CountReader, finishCounts } from "./counts.js";
import { cleanModel } from "./request.js";
import type { ParseOutcome, UsageRule } from "./types.js";

const digits = (key: string) => `"${key}"\\s*:\\s*(\\d+)`;

/** Rules tried after every parser, as a last resort: the usual usage keys of the known providers. */
export const DEFAULT_RULES: readonly UsageRule[] = [
  {
    name: "openai-like",
    inputTokens: digits("prompt_tokens"),
    outputTokens: digits("completion_tokens"),
    totalTokens: digits("total_tokens"),
    model: `"model"\\s*:\\s*"([^"]{1,200})"`,
  },
  {
    name: "input-output-tokens",
    inputTokens: digits("input_tokens"),
    outputTokens: digits("output_tokens"),
    totalTokens: digits("total_tokens"),
    model: `"model"\\s*:\\s*"([^"]{1,200})"`,
  },
  {
    name: "gemini-like",
    inputTokens: digits("promptTokenCount"),
    outputTokens: digits("candidatesTokenCount"),
    totalTokens: digits("totalTokenCount"),
    model: `"modelVersion"\\s*:\\s*"([^"]{1,200})"`,
  },
  {
    name: "ollama-like",
    inputTokens: digits("prompt_eval_count"),
    outputTokens: digits("eval_count"),
    model: `"model"\\s*:\\s*"([^"]{1,200})"`,
  },
];

// Rules scan a window of the body: usage sits near the end, the model near the start.
const RULE_WINDOW = 256 * 1024;

/**
 * The text rules run on: head and tail of the decoded body, bounded to the first and last RULE_WINDOW
 * characters. Digits at a cut are dropped so a number split by truncation is not read short.
 */
export function ruleText(head: string, tail: string): string {
  const text = tail ? `${head.replace(/\d+$/, "")}\n${tail}` : head;
  if (text.length <= 2 * RULE_WINDOW) return text;
  return `${text.slice(0, RULE_WINDOW).replace(/\d+$/, "")}\n${text.slice(-RULE_WINDOW)}`;
}

const compiled = new Map<string, RE2JS | string>();

/** Compiles (and caches) an RE2 pattern with at least one group; a string is the reason it is unusable. */
function compile(source: string): RE2JS | string {
  let re = compiled.get(source);
  if (re === undefined) {
    try {
      const candidate = RE2JS.compile(source);
      // Exactly one group: with two, which one holds the count would be a guess (use (?:…) for the others).
      const groups = candidate.groupCount();
      re =
        groups === 1
          ? candidate
          : groups === 0
            ? "pattern has no capture group"
            : `pattern has ${groups} capture groups; use exactly one (and (?:…) for the others)`;
    } catch (err) {
      re = `invalid pattern (${err instanceof Error ? err.message.slice(0, 60) : "syntax"})`;
    }
    if (compiled.size >= 512) compiled.clear();
    compiled.set(source, re);
  }
  return re;
}

/**
 * Why an operator's rule cannot be used (an invalid RE2 pattern, one without exactly one capture group, or a rule with
 * no token pattern), or null when it is usable. For validating rules before they are stored.
 */
export function checkUsageRule(rule: UsageRule): string | null {
  const keys = ["inputTokens", "outputTokens", "totalTokens", "model"] as const;
  if (!rule.inputTokens && !rule.outputTokens && !rule.totalTokens)
    return "a rule needs at least one token pattern";
  for (const key of keys) {
    const source = rule[key];
    if (source === undefined) continue;
    const re = compile(source);
    if (typeof re === "string") return `${key}: ${re}`;
  }
  return null;
}

/** Group 1 of the first or last match of `re` in `text`, or null. */
function group(re: RE2JS, text: string, which: "first" | "last"): string | null {
  const m = re.matcher(text);
  let found: string | null = null;
  while (m.find()) {
    found = m.group(1);
    if (which === "first" && found !== null) break;
  }
  return found;
}

/** Result of trying rules: the first rule that matched, and the first unusable rule. */
export interface RulesResult {
  outcome: ParseOutcome | null;
  invalid: string | null;
}

/**
 * Tries rules in order on `text`; the first whose token patterns match anything wins. Token counts are
 * the LAST match (usage is at the end, and streams repeat it cumulatively), the model the first. Matched
 * numbers are plain counts: no cache normalisation is applied. RE2 keeps the matching linear in time.
 */
export function applyRules(text: string, rules: readonly UsageRule[]): RulesResult {
  let invalid: string | null = null;
  for (const rule of rules) {
    const values: Record<string, unknown> = {};
    let matched = false;
    let unusable: string | null = null;
    for (const key of ["inputTokens", "outputTokens", "totalTokens"] as const) {
      const source = rule[key];
      if (source === undefined) continue;
      const re = compile(source);
      if (typeof re === "string") {
        unusable = `rule "${rule.name}" ${key}: ${re}`;
        break;
      }
      const value = group(re, text, "last");
      if (value === null) continue;
      matched = true;
      values[key] = /^\d{1,15}$/.test(value) ? Number(value) : value;
    }
    if (unusable) {
      invalid ??= unusable;
      continue;
    }
    if (!matched) continue;
    const modelRe = rule.model === undefined ? null : compile(rule.model);
    const model = modelRe && typeof modelRe !== "string" ? cleanModel(group(modelRe, text, "first")) : null;
    const r = new CountReader();
    const result = finishCounts(r, {
      input: r.read(values, "inputTokens"),
      output: r.read(values, "outputTokens"),
      reportedTotal: r.read(values, "totalTokens"),
    });
    const parser = `rule:${rule.name}`;
    const outcome: ParseOutcome = result.counts
      ? { parser, model, counts: result.counts, error: null }
      : { parser, model, counts: null, error: result.error, rejected: true };
    return { outcome, invalid };
  }
  return { outcome: null, invalid };
}
