import type { TokenUsage } from "../src/index.js";

/** One fixture in a provider's exact wire format, with what it must yield. */
export interface WireCase {
  name: string;
  fixture: string;
  path: string;
  contentType?: string;
  request?: Record<string, unknown>;
  /** Every token class, the model and the parser; source is "reported" and parseError null. */
  expected: Omit<TokenUsage, "source" | "parseError">;
  /**
   * A string in the event/line/frame that carries the final usage: a truncated capture must keep it in
   * its tail (and the first event in its head). Absent for single JSON documents.
   */
  usageMarker?: string;
}

export const counts = (
  inputTokens: number,
  outputTokens: number,
  extra: Partial<Omit<TokenUsage, "source" | "parseError" | "model" | "parser">> = {},
) => ({
  inputTokens,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens,
  reasoningTokens: 0,
  totalTokens: inputTokens + outputTokens,
  ...extra,
});

export const SSE = "text/event-stream";
