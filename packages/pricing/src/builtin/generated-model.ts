/** Rates of one price version or tier, USD per 1K tokens as exact decimal strings; absent → fallback. */
export interface GeneratedRates {
  readonly input: string;
  readonly output: string;
  readonly cached?: string;
  readonly cacheWrite?: string;
  readonly cacheWrite1h?: string;
}

/** A long-context tier: applies when the call's input tokens exceed `above`. */
export interface GeneratedTier extends GeneratedRates {
  readonly above: number;
}

/** One dated version of a model's price. */
export interface GeneratedVersion extends GeneratedRates {
  /** ISO date-time the version takes effect. */
  readonly from: string;
  readonly tiers?: readonly GeneratedTier[];
}

/** One model of the built-in table and every name it is priced under. */
export interface GeneratedModel {
  /** Price database provider id ("openai", "aws" …), or "seed" for the seed document's models. */
  readonly provider: string;
  /** The model's id in the price database (or the seed's name). */
  readonly id: string;
  /** Normalised names (see normaliseModelName) this price applies to, each unique across the table. */
  readonly names: readonly string[];
  readonly versions: readonly GeneratedVersion[];
  /** Where the rates came from, shown as the price's origin. */
  readonly origin: string;
}
