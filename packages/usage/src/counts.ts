import type { CountsResult } from "./types.js";

/** Largest token count stored: Postgres INTEGER. */
export const MAX_TOKEN_COUNT = 2_147_483_647;

/** Plain-object check that rejects arrays and null. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads token counts out of a provider usage object. A missing or null key counts as 0; anything else
 * that is not a non-negative integer within MAX_TOKEN_COUNT is recorded as a problem, because a bogus
 * count must never be billed.
 */
export class CountReader {
  /** How many keys held a valid number, so "usage: {}" can be told apart from real zeros. */
  seen = 0;
  problem: string | null = null;

  read(source: unknown, key: string): number {
    if (!isRecord(source)) return 0;
    const value = source[key];
    if (value === undefined || value === null) return 0;
    if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_TOKEN_COUNT) {
      this.seen++;
      return value;
    }
    this.problem ??= `invalid token count ${key}=${String(JSON.stringify(value)).slice(0, 40)}`;
    return 0;
  }
}

/** Raw parts of a usage, already mapped to tokenmeter's inclusive meaning. */
export interface CountParts {
  input: number;
  cachedInput?: number;
  cacheWrite?: number;
  /** Subset of cacheWrite with a 1-hour TTL. */
  cacheWrite1h?: number;
  output: number;
  reasoning?: number;
  /** The provider's own total, if it reports one. */
  reportedTotal?: number;
}

/**
 * Validates parts into counts: sums must stay within MAX_TOKEN_COUNT and subsets within their sets.
 * totalTokens is input + output, or the reported total when that is larger (providers that count extra
 * billed tokens only in the total, e.g. Gemini before thoughts were reported, are then not under-counted).
 */
export function finishCounts(reader: CountReader, parts: CountParts): CountsResult {
  if (reader.problem) return { error: reader.problem };
  if (reader.seen === 0) return { error: "usage object has no token counts" };
  const cachedInput = parts.cachedInput ?? 0;
  const cacheWrite = parts.cacheWrite ?? 0;
  const cacheWrite1h = parts.cacheWrite1h ?? 0;
  const reasoning = parts.reasoning ?? 0;
  const total = Math.max(parts.input + parts.output, parts.reportedTotal ?? 0);
  if (total > MAX_TOKEN_COUNT || parts.input > MAX_TOKEN_COUNT || parts.output > MAX_TOKEN_COUNT) {
    return { error: `token counts exceed ${MAX_TOKEN_COUNT}` };
  }
  if (cachedInput + cacheWrite > parts.input) return { error: "cached tokens exceed input tokens" };
  if (cacheWrite1h > cacheWrite) return { error: "1-hour cache writes exceed cache writes" };
  if (reasoning > parts.output) return { error: "reasoning tokens exceed output tokens" };
  return {
    counts: {
      inputTokens: parts.input,
      cachedInputTokens: cachedInput,
      cacheWriteTokens: cacheWrite,
      cacheWrite1hTokens: cacheWrite1h,
      outputTokens: parts.output,
      reasoningTokens: reasoning,
      totalTokens: total,
    },
  };
}
