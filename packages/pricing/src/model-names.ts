/**
 * Path-style prefixes from gateways and SDKs: "openai/gpt-4", "models/gemini-pro", "groq/llama-3.1-8b-instant",
 * "publishers/google/models/gemini-pro", "projects/p/locations/l/publishers/anthropic/models/claude-3-haiku".
 * Organisation prefixes that are part of a hosted model's id ("meta-llama/", "mistralai/", "Qwen/") stay.
 */
const PATH_PREFIX =
  /^(?:projects\/[^/]+\/locations\/[^/]+\/)?(?:(?:openai|azure|anthropic|google|gemini|vertex_ai|vertex|bedrock|publishers|models|groq|mistral|deepseek|xai|x-ai|cohere|together_ai|together|fireworks_ai|openrouter)\/)+/;
/** A Bedrock model or inference-profile ARN in front of its id ("arn:aws:bedrock:us-east-1:…:inference-profile/…"). */
const BEDROCK_ARN = /^arn:aws[a-z-]*:bedrock:[^:/]*:[^:/]*:(?:inference-profile|foundation-model)\//;
/**
 * Bedrock ids: "anthropic.claude-3-haiku-…", "us.anthropic.claude-3-5-sonnet-…", "global.amazon.nova-2-lite-…".
 * A region is recognised only before a vendor, so "us.gpt-4" is left alone.
 */
const BEDROCK_ID =
  /^(?:(us|eu|apac|au|jp|in|ca|us-gov|global)\.)?(anthropic|amazon|meta|cohere|mistral|ai21|deepseek|google|nvidia|openai|qwen|writer|minimax|moonshot|moonshotai|twelvelabs|stability|luma)\.(.+)$/s;
const MAX_DECODED_LENGTH = 1000;

/** Decodes a percent-encoded id ("…-v2%3A0" from a Bedrock URL path); text that is not valid stays as it is. */
function percentDecoded(name: string): string {
  if (!name.includes("%") || name.length > MAX_DECODED_LENGTH) return name;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * Canonical form of a model name for matching: percent-decoded, trimmed, lower-cased, without gateway path
 * prefixes ("openai/", "models/", "publishers/…/models/", a Bedrock ARN). A Bedrock id keeps its vendor
 * ("anthropic.claude-…") because Bedrock prices some models unlike their maker; its region is dropped
 * ("us.", "eu.", "apac." … cost the same in-region price) except "global.", which Bedrock prices apart.
 */
export function normaliseModelName(raw: string): string {
  const name = percentDecoded(raw.trim())
    .trim()
    .toLowerCase()
    .replace(BEDROCK_ARN, "")
    .replace(PATH_PREFIX, "");
  const bedrock = BEDROCK_ID.exec(name);
  if (bedrock === null) return name;
  const [, region, vendor, rest] = bedrock;
  return region === "global" ? `global.${vendor}.${rest}` : `${vendor}.${rest}`;
}

/**
 * A suffix that marks a snapshot of the same model, not a different model: "@…" (Vertex), "-latest", or "-"
 * and at least three digits ending the name or followed by a non-alphanumeric character ("-0613",
 * "-20240307-v1:0", "-2024-08-06", "-001"). Rejects sizes and versions such as "-16k", "-8b", "-5-sonnet".
 */
const VERSION_SUFFIX = /^(?:@.+|-latest|-\d{3,}(?:[^a-z0-9].*)?)$/s;

/** The name, then its base names with snapshot suffixes removed, longest first. */
function snapshotKeys(name: string): string[] {
  const keys = [name];
  for (let i = name.length - 1; i > 0; i--) {
    const c = name[i];
    if ((c === "-" || c === "@") && VERSION_SUFFIX.test(name.slice(i))) keys.push(name.slice(0, i));
  }
  return keys;
}

/**
 * Price keys that may apply to a normalised name, most specific first: the name and its snapshot base
 * names; for a Bedrock id, then the same without the vendor, so a model Bedrock does not price apart
 * falls back to its maker's price ("anthropic.claude-3-haiku-20240307-v1:0" → "claude-3-haiku").
 */
export function candidateModelKeys(name: string): string[] {
  const keys = snapshotKeys(name);
  const bedrock = BEDROCK_ID.exec(name);
  const rest = bedrock?.[3];
  if (rest !== undefined) keys.push(...snapshotKeys(rest));
  return keys;
}

/** Whether a normalised name is a Bedrock id (a vendor prefix such as "anthropic." or "global.amazon."). */
export function isBedrockModelId(name: string): boolean {
  return BEDROCK_ID.test(name);
}
