import { PricingError } from "./errors.js";
import { candidateModelKeys, normaliseModelName } from "./model-names.js";
import type { ModelPrice } from "./types.js";

/** Longest model name matched; model_prices.model holds 200 characters, ids with prefixes a little more. */
const MAX_MODEL_NAME_LENGTH = 512;

/** Per-service model aliases: a name as callers send it (e.g. an Azure deployment) → the model it runs. */
export type ModelAliases = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** Alias maps with normalised keys and targets, built once per aliases object. */
const normalisedAliases = new WeakMap<object, ReadonlyMap<string, string>>();

function aliasMap(aliases: ModelAliases): ReadonlyMap<string, string> {
  let map = normalisedAliases.get(aliases);
  if (map === undefined) {
    const entries = aliases instanceof Map ? [...aliases.entries()] : Object.entries(aliases);
    const built = new Map<string, string>();
    for (const [from, to] of entries) {
      if (typeof from !== "string" || typeof to !== "string") continue;
      const key = normaliseModelName(from);
      const target = normaliseModelName(to);
      if (key !== "" && target !== "") built.set(key, target);
    }
    map = built;
    normalisedAliases.set(aliases, map);
  }
  return map;
}

interface Version {
  readonly from: number;
  readonly price: ModelPrice;
}

/** Versions of one normalised model name, each list ascending by effectiveFrom (ties keep input order). */
interface ModelVersions {
  readonly custom: Version[];
  readonly builtin: Version[];
}

/** The last version effective at `at`, or null. */
function effectiveAt(versions: readonly Version[], at: number): ModelPrice | null {
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i];
    if (v !== undefined && v.from <= at) return v.price;
  }
  return null;
}

function timeOf(date: Date, what: string): number {
  const t = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw new PricingError("invalid_date", `${what} must be a valid Date`);
  return t;
}

/** An immutable index of model prices answering "which price applies to this model at this time?". */
export class PriceBook {
  readonly #byModel = new Map<string, ModelVersions>();

  /** Indexes `prices`; entries with an empty model name or an unknown source are ignored. */
  constructor(prices: readonly ModelPrice[]) {
    for (const price of prices) {
      const key = normaliseModelName(price.model);
      if (key === "" || (price.source !== "custom" && price.source !== "builtin")) continue;
      const from = timeOf(price.effectiveFrom, `effectiveFrom of ${price.model}`);
      let versions = this.#byModel.get(key);
      if (versions === undefined) {
        versions = { custom: [], builtin: [] };
        this.#byModel.set(key, versions);
      }
      versions[price.source].push({ from, price });
    }
    for (const versions of this.#byModel.values()) {
      versions.custom.sort((a, b) => a.from - b.from);
      versions.builtin.sort((a, b) => a.from - b.from);
    }
  }

  /**
   * The price that applies to `model` at `at`, or null when none does. `aliases` (a service's deployment
   * names) first map the name to the model it runs; the alias key must equal the name once both are
   * normalised. The most specific matching model name wins (exact, then the longest base name of a dated
   * id, then for a Bedrock id its maker's name); for that name a custom price beats a builtin one, and
   * within a source the newest version with effectiveFrom <= at applies.
   */
  find(model: string, at: Date, aliases?: ModelAliases): ModelPrice | null {
    const t = timeOf(at, "at");
    // Matching is quadratic in the name's length; no model name is this long, so a hostile one is unpriced.
    if (model.length > MAX_MODEL_NAME_LENGTH) return null;
    let name = normaliseModelName(model);
    if (name === "") return null;
    if (aliases !== undefined) name = aliasMap(aliases).get(name) ?? name;
    for (const key of candidateModelKeys(name)) {
      const versions = this.#byModel.get(key);
      if (versions === undefined) continue;
      const price = effectiveAt(versions.custom, t) ?? effectiveAt(versions.builtin, t);
      if (price !== null) return price;
    }
    return null;
  }
}
