/**
 * Path-style prefixes from gateways and SDKs: "openai/gpt-4", "models/gemini-pro",
 * "publishers/google/models/gemini-pro", "projects/p/locations/l/publishers/anthropic/models/claude-3-haiku".
 */
const PATH_PREFIX =
  /^(?:projects\/[^/]+\/locations\/[^/]+\/)?(?:(?:openai|azure|anthropic|google|gemini|vertex_ai|vertex|bedrock|publishers|models)\/)+/;
/** Bedrock ids: "anthropic.claude-3-haiku-…", "us.anthropic.claude-3-5-sonnet-…" (region only before a vendor). */
const BEDROCK_PREFIX = /^(?:(?:us|eu|apac|us-gov|global)\.)?(?:anthropic|amazon|meta|cohere|mistral|ai21)\./;

/**
 * Canonical form of a model name for matching: trimmed, lower-cased, without provider prefixes
 * ("openai/", "anthropic/", "google/", "models/", "publishers/…/models/", Bedrock "anthropic." with an
 * optional region such as "us."). Other slashes (e.g. "meta-llama/llama-3-70b") are kept.
 */
export function normaliseModelName(raw: string): string {
  return raw.trim().toLowerCase().replace(PATH_PREFIX, "").replace(BEDROCK_PREFIX, "");
}

/**
 * A suffix that marks a snapshot of the same model, not a different model: "@…" (Vertex), "-latest", or "-"
 * and at least three digits ending the name or followed by a non-alphanumeric character ("-0613",
 * "-20240307-v1:0", "-2024-08-06", "-001"). Rejects sizes and versions such as "-16k", "-8b", "-5-sonnet".
 */
const VERSION_SUFFIX = /^(?:@.+|-latest|-\d{3,}(?:[^a-z0-9].*)?)$/s;

/** Price keys that may apply to a normalised name, most specific first: the name, then shorter prefixes. */
export function candidateModelKeys(name: string): string[] {
  const keys = [name];
  for (let i = name.length - 1; i > 0; i--) {
    const c = name[i];
    if ((c === "-" || c === "@") && VERSION_SUFFIX.test(name.slice(i))) keys.push(name.slice(0, i));
  }
  return keys;
}
