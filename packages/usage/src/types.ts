import type { BodyCapture } from "@tokenmeter/capture";

/** Where token counts came from: the provider's own report, an operator regex rule, an estimate, or nowhere. */
export type UsageSource = "reported" | "rule" | "estimated" | "none";

/** Normalised usage of one call. */
export interface TokenUsage {
  model: string | null;
  /** All prompt tokens, including cached reads and cache writes. */
  inputTokens: number;
  /** Subset of inputTokens read from cache. */
  cachedInputTokens: number;
  /** Subset of inputTokens written to cache. */
  cacheWriteTokens: number;
  /** All generated tokens, including reasoning. */
  outputTokens: number;
  /** Subset of outputTokens. */
  reasoningTokens: number;
  /** max(inputTokens + outputTokens, the provider's reported total). */
  totalTokens: number;
  source: UsageSource;
  /** The parser that produced the usage; when none did, the one that recognised the format (or null). */
  parser: string | null;
  /** Why usage could not be found, short and human readable; null when found or not expected. */
  parseError: string | null;
}

/** The parts of a captured exchange that usage extraction reads. */
export interface ExchangeForParsing {
  method: string;
  /** Path below the service slug, with query, e.g. "/v1/chat/completions". */
  path: string;
  /** Upstream HTTP status (0 = no response). */
  status: number;
  request: { body: BodyCapture; contentType?: string };
  response: { body: BodyCapture; contentType?: string };
}

/** An operator's regex rule: RE2 sources with exactly one capture group each. */
export interface UsageRule {
  name: string;
  inputTokens?: string;
  outputTokens?: string;
  totalTokens?: string;
  model?: string;
}

/** Normalised token counts, validated (see counts.ts). */
export interface UsageCounts {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

/** A counts-or-reason result of normalising one provider usage object. */
export type CountsResult = { counts: UsageCounts; error?: undefined } | { counts?: undefined; error: string };

/** What one parser made of a body. */
export interface ParseOutcome {
  parser: string;
  model: string | null;
  counts: UsageCounts | null;
  /** Set when counts is null. */
  error: string | null;
  /** True when a usage object was found but its counts were rejected: no fallback may then guess. */
  rejected?: boolean;
}
