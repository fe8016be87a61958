import type { ModelPrice as LibraryPrice, MatchLogic, ModelInfo, Provider } from "@pydantic/genai-prices";
import { Decimal } from "decimal.js";
import { EXTRA_NAMES, SEED_PRICES, UNDATED_EFFECTIVE_FROM } from "../src/builtin/curated.js";
import type {
  GeneratedModel,
  GeneratedRates,
  GeneratedTier,
  GeneratedVersion,
} from "../src/builtin/generated-model.js";
import { candidateModelKeys, isBedrockModelId, normaliseModelName } from "../src/model-names.js";

/**
 * Providers taken from the price database, in order of precedence: when two claim the same normalised
 * name, the model's maker comes before a host reselling it.
 */
export const PROVIDERS = [
  "openai",
  "anthropic",
  "google",
  "mistral",
  "deepseek",
  "cohere",
  "x-ai",
  "aws",
  "groq",
  "together",
] as const;

/** The database's price keys we bill (text tokens); audio, image, search and per-request prices are not. */
const FIELDS = {
  input: "input_mtok",
  output: "output_mtok",
  cached: "cache_read_mtok",
  cacheWrite: "cache_write_mtok",
  cacheWrite1h: "cache_write_1h_mtok",
} as const;
type Field = keyof typeof FIELDS;

/** A usable name: no separator at either end (literals such as "ft:gpt-3.5-turbo-" are prefixes, not names). */
const CLEAN_NAME = /^[a-z0-9](?:[a-z0-9._:@/-]*[a-z0-9])?$/;
/** A match regex that is a literal name followed by a snapshot: "^grok-4\.3-\d{8}$" → "grok-4.3". */
const REGEX_LITERAL = /^\^((?:[A-Za-z0-9_:/-]|\\\.)+)-\\d/;
/** Region-less Bedrock ids: the price database labels in-region prices "regional.". */
const REGIONAL_ID = /^regional\./;

/** The price database's own rule semantics, to keep only names it would route to the same model. */
function matches(rule: MatchLogic, name: string): boolean {
  const n = name.toLowerCase();
  if ("or" in rule) return rule.or.some((r) => matches(r, name));
  if ("and" in rule) return rule.and.every((r) => matches(r, name));
  if ("equals" in rule) return n === rule.equals.toLowerCase();
  if ("starts_with" in rule) return n.startsWith(rule.starts_with.toLowerCase());
  if ("ends_with" in rule) return n.endsWith(rule.ends_with.toLowerCase());
  if ("contains" in rule) return n.includes(rule.contains.toLowerCase());
  if ("regex" in rule) return new RegExp(rule.regex).test(name);
  return false;
}

/** A rule's literal names, each with the names to check its routing with. */
function literals(rule: MatchLogic): { name: string; probes: string[] }[] {
  if ("or" in rule) return rule.or.flatMap(literals);
  if ("and" in rule) return rule.and.flatMap(literals);
  if ("equals" in rule) return [{ name: rule.equals, probes: [rule.equals] }];
  if ("starts_with" in rule) return [{ name: rule.starts_with, probes: [rule.starts_with] }];
  if ("ends_with" in rule) return [{ name: rule.ends_with, probes: [rule.ends_with] }];
  if ("contains" in rule) return [{ name: rule.contains, probes: [rule.contains] }];
  const literal = REGEX_LITERAL.exec(rule.regex)?.[1]?.replaceAll("\\.", ".");
  // The regex names dated snapshots of the literal: the snapshot rule maps those to it.
  return literal === undefined
    ? []
    : [{ name: literal, probes: [`${literal}-20250101`, `${literal}-2025-01-01`] }];
}

/** Library number (USD per million tokens) → exact USD per 1K tokens: its shortest string, then ÷ 1000. */
export function perThousand(value: number): string {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`not a price: ${String(value)}`);
  }
  const rate = new Decimal(String(value)).dividedBy(1000);
  if (rate.decimalPlaces() > 10)
    throw new Error(`${String(value)} per million has over 10 decimal places per 1K`);
  return rate.toFixed();
}

type LibraryValue = number | { base: number; tiers: { start: number; price: number }[] };

/** Flat rates plus long-context tiers: one tier per threshold any field changes at. */
function convertPrices(prices: LibraryPrice): (GeneratedRates & { tiers?: GeneratedTier[] }) | null {
  const values = new Map<Field, LibraryValue>();
  for (const [field, key] of Object.entries(FIELDS) as [Field, string][]) {
    const value = prices[key] as LibraryValue | undefined;
    if (value !== undefined) values.set(field, value);
  }
  if (!values.has("input") && !values.has("output")) return null;
  const at = (threshold: number | null): GeneratedRates => {
    const rate = (field: Field): string | undefined => {
      const value = values.get(field);
      if (value === undefined) return undefined;
      if (typeof value === "number") return perThousand(value);
      let price = value.base;
      for (const tier of [...value.tiers].sort((a, b) => a.start - b.start)) {
        if (threshold !== null && tier.start <= threshold) price = tier.price;
      }
      return perThousand(price);
    };
    const rates: { -readonly [K in keyof GeneratedRates]: GeneratedRates[K] } = {
      input: rate("input") ?? "0",
      output: rate("output") ?? "0",
    };
    for (const field of ["cached", "cacheWrite", "cacheWrite1h"] as const) {
      const value = rate(field);
      if (value !== undefined) rates[field] = value;
    }
    return rates;
  };
  const thresholds = new Set<number>();
  for (const value of values.values()) {
    if (typeof value === "number") continue;
    for (const tier of value.tiers) {
      if (!Number.isSafeInteger(tier.start) || tier.start <= 0)
        throw new Error(`bad tier start ${tier.start}`);
      thresholds.add(tier.start);
    }
  }
  const tiers = [...thresholds].sort((a, b) => a - b).map((above) => ({ above, ...at(above) }));
  return tiers.length === 0 ? at(null) : { ...at(null), tiers };
}

/**
 * Dated versions of a model. An unconstrained price applies from UNDATED_EFFECTIVE_FROM, a `start_date` one
 * from that date. We keep no time-of-day prices: a daily window (DeepSeek's) replaces the rates of the
 * version it follows, so the provider's standard-hours rate applies all day; its off-peak discount is not
 * modelled.
 */
function versionsOf(model: ModelInfo): { versions: GeneratedVersion[]; timeOfDay: boolean } {
  const entries = Array.isArray(model.prices) ? model.prices : [{ prices: model.prices }];
  const versions: GeneratedVersion[] = [];
  let timeOfDay = false;
  for (const entry of entries) {
    const rates = convertPrices(entry.prices);
    const constraint = entry.constraint;
    if (constraint === undefined || constraint.type === "start_date") {
      const from =
        constraint === undefined
          ? UNDATED_EFFECTIVE_FROM
          : new Date(`${constraint.start_date}T00:00:00Z`).toISOString();
      if (rates === null) continue;
      const previous = versions[versions.length - 1];
      if (previous !== undefined && previous.from >= from) throw new Error(`${model.id}: dates out of order`);
      versions.push({ from, ...rates });
    } else {
      timeOfDay = true;
      const previous = versions.pop();
      if (previous === undefined || rates === null)
        throw new Error(`${model.id}: daily window without a base`);
      versions.push({ from: previous.from, ...rates });
    }
  }
  return { versions, timeOfDay };
}

/** Names a library model is priced under: its id and rule literals that the rules route to it. */
function namesOf(provider: Provider, model: ModelInfo): string[] {
  const id = model.id.replace(REGIONAL_ID, "");
  const raw = [{ name: id, probes: [id] }, ...literals(model.match)];
  const names = new Set<string>();
  for (const literal of raw) {
    // Only a name the database itself prices with this model (its first matching rule) is taken. Bedrock's
    // in-region rules name the region ("us.amazon.nova-2-lite"), which normalised names drop.
    const routes = (name: string) => provider.models.find((m) => matches(m.match, name)) === model;
    const routed = literal.probes.some((p) => routes(p) || (provider.id === "aws" && routes(`us.${p}`)));
    if (!routed) continue;
    const name = normaliseModelName(literal.name);
    // Fine-tune rules are prefixes of whole families of ids; fine-tunes stay for the operator to price.
    if (!CLEAN_NAME.test(name) || name.startsWith("ft:")) continue;
    // Bedrock prices only its own ids apart; its rules' bare names ("claude-…") belong to the maker.
    if (provider.id === "aws" && !isBedrockModelId(name)) continue;
    names.add(name);
  }
  return [...names];
}

/** What a table build dropped, for the update script's summary. */
export interface BuildReport {
  modelsPerProvider: Record<string, number>;
  namesTaken: number;
  redundantNames: number;
  unpricedModels: string[];
  namesLostToEarlierProvider: string[];
  timeOfDayModels: string[];
  /** EXTRA_NAMES whose target the data does not price. */
  unmatchedExtraNames: string[];
}

/** Builds the built-in table from the price database's providers and the hand-kept seed. */
export function buildBuiltinTable(
  providers: readonly Provider[],
  source: string,
): { models: GeneratedModel[]; report: BuildReport } {
  const report: BuildReport = {
    modelsPerProvider: {},
    namesTaken: 0,
    redundantNames: 0,
    unpricedModels: [],
    namesLostToEarlierProvider: [],
    timeOfDayModels: [],
    unmatchedExtraNames: [],
  };
  const owner = new Map<string, GeneratedModel & { names: string[] }>();
  const models: (GeneratedModel & { names: string[] })[] = [];

  for (const seed of SEED_PRICES) {
    const model = {
      provider: "seed",
      id: seed.model,
      names: [seed.model],
      versions: [{ from: UNDATED_EFFECTIVE_FROM, input: seed.input, output: seed.output }],
      origin: "seed document",
    };
    owner.set(seed.model, model);
    models.push(model);
  }
  // The seed wins for its models' other names too (gemini-1.0-pro), whatever the database says.
  for (const [name, target] of Object.entries(EXTRA_NAMES)) {
    const seed = owner.get(target);
    if (seed === undefined) continue;
    owner.set(name, seed);
    seed.names.push(name);
  }

  for (const provider of providers) {
    const url = provider.pricing_urls?.[0];
    for (const info of provider.models) {
      const { versions, timeOfDay } = versionsOf(info);
      if (versions.length === 0) {
        report.unpricedModels.push(`${provider.id}/${info.id}`);
        continue;
      }
      const origin = [
        `${source}: ${provider.id}/${info.id}`,
        ...(url === undefined ? [] : [url]),
        ...(timeOfDay ? ["standard-hours rate; off-peak discount not modelled"] : []),
      ].join(", ");
      const model = { provider: provider.id, id: info.id, names: [] as string[], versions, origin };
      for (const name of namesOf(provider, info)) {
        const holder = owner.get(name);
        if (holder === undefined) {
          owner.set(name, model);
          model.names.push(name);
        } else if (holder.provider === "seed") {
          mergeSeedCacheRates(holder, model);
        } else if (holder !== model) {
          report.namesLostToEarlierProvider.push(
            `${name} (${provider.id}/${info.id} → ${holder.provider}/${holder.id})`,
          );
        }
      }
      if (model.names.length === 0) continue;
      if (timeOfDay) report.timeOfDayModels.push(`${provider.id}/${info.id}`);
      models.push(model);
    }
  }

  for (const [name, target] of Object.entries(EXTRA_NAMES)) {
    const holder = owner.get(target);
    if (holder?.provider === "seed") continue; // named above
    if (holder === undefined) {
      report.unmatchedExtraNames.push(name);
      continue;
    }
    if (owner.has(name)) throw new Error(`extra name ${name} is already priced`);
    owner.set(name, holder);
    holder.names.push(name);
  }
  dropRedundantNames(owner, report);
  report.namesTaken = owner.size;
  // A model all of whose names another entry prices identically needs no entry of its own.
  const kept = models.filter((m) => m.names.length > 0);
  report.modelsPerProvider = {};
  for (const m of kept)
    report.modelsPerProvider[m.provider] = (report.modelsPerProvider[m.provider] ?? 0) + 1;
  return { models: kept, report };
}

/**
 * Drops a name (e.g. "gpt-4o-2024-08-06") that a shorter name would price the same way anyway ("gpt-4o", via
 * the snapshot-suffix rule). Fewer exact names means an operator's custom price for "gpt-4o" also applies to
 * its dated snapshots, while a snapshot priced apart ("gpt-4o-2024-05-13") keeps its own entry. Shorter
 * names are settled first, since a name's fallback keys are all shorter than it.
 */
function dropRedundantNames(
  owner: Map<string, GeneratedModel & { names: string[] }>,
  report: BuildReport,
): void {
  const samePrices = (a: GeneratedModel, b: GeneratedModel) =>
    a === b || JSON.stringify(a.versions) === JSON.stringify(b.versions);
  const names = [...owner.keys()].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const model = owner.get(name);
    const fallback = candidateModelKeys(name)
      .slice(1)
      .map((key) => owner.get(key))
      .find((m) => m !== undefined);
    if (model === undefined || fallback === undefined || !samePrices(model, fallback)) continue;
    owner.delete(name);
    model.names.splice(model.names.indexOf(name), 1);
    report.redundantNames++;
  }
}

/**
 * The seed prices claude-3-* without cache rates. Where the database's current rates for the same name equal
 * the seed's, its cache rates are the provider's for that very price, so the seed entry takes them.
 */
function mergeSeedCacheRates(seed: GeneratedModel & { names: string[] }, library: GeneratedModel): void {
  const current = library.versions[library.versions.length - 1];
  const base = seed.versions[0];
  if (current === undefined || base === undefined || current.tiers !== undefined) return;
  if (seed.origin !== "seed document") return; // already merged from an earlier provider
  if (current.input !== base.input || current.output !== base.output || seed.versions.length !== 1) return;
  const { cached, cacheWrite, cacheWrite1h } = current;
  if (cached === undefined && cacheWrite === undefined && cacheWrite1h === undefined) return;
  Object.assign(seed, {
    versions: [
      {
        ...base,
        ...(cached && { cached }),
        ...(cacheWrite && { cacheWrite }),
        ...(cacheWrite1h && { cacheWrite1h }),
      },
    ],
    origin: `seed document; cache rates from ${library.origin}`,
  });
}

/** The generated module's text: stable order and formatting, so regenerating unchanged data is a no-op. */
export function renderGeneratedPrices(models: readonly GeneratedModel[], source: string): string {
  const lines = [
    "// Generated by `npm run prices:update` (packages/pricing/scripts/update-builtin-prices.ts). Do not edit:",
    "// change packages/pricing/src/builtin/curated.ts or the pinned price database version and regenerate.",
    'import type { GeneratedModel } from "./generated-model.js";',
    "",
    "/** The price database and version the table was generated from. */",
    `export const GENERATED_SOURCE = ${JSON.stringify(source)};`,
    "",
    "/** Every built-in model with its names and dated versions (USD per 1K tokens). */",
    "export const GENERATED_MODELS: readonly GeneratedModel[] = [",
    ...models.map((m) => `  ${JSON.stringify(m)},`),
    "];",
    "",
  ];
  return lines.join("\n");
}
