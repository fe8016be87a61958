import { Decimal } from "decimal.js";
import { PricingError } from "./errors.js";

/** Largest accepted rate, USD per 1K tokens. */
const MAX_RATE = new Decimal(1000);
/** Scale of the NUMERIC(20,10) price columns. */
const MAX_DECIMAL_PLACES = 10;
const MAX_LENGTH = 100;
/** Plain decimal or JS-style exponent notation; no hex, binary, Infinity or NaN. Exponent ≤ 4 digits. */
const DECIMAL_TEXT = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d{1,4})?$/i;

const invalid = (message: string) => new PricingError("invalid_rate", message);

/**
 * Validates a rate (USD per 1K tokens) from an admin request: finite, 0 ≤ rate ≤ 1000, at most 10 decimal
 * places. Numbers are read through their shortest string form (`String(n)`), never float maths.
 */
export function parseUsdRate(value: string | number): Decimal {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid("rate must be a finite number");
    text = String(value);
  } else if (typeof value === "string") {
    text = value.trim();
  } else {
    throw invalid("rate must be a decimal string or a number");
  }
  if (text.length === 0 || text.length > MAX_LENGTH || !DECIMAL_TEXT.test(text)) {
    throw invalid('rate must be a decimal number such as "0.0015"');
  }
  const rate = new Decimal(text);
  if (!rate.isFinite()) throw invalid("rate must be finite");
  if (rate.isZero()) return new Decimal(0); // also turns "-0" into 0
  if (rate.isNegative()) throw invalid("rate must not be negative");
  if (rate.greaterThan(MAX_RATE))
    throw invalid(`rate must be at most ${MAX_RATE.toString()} USD per 1K tokens`);
  if (rate.decimalPlaces() > MAX_DECIMAL_PLACES) {
    throw invalid(`rate must have at most ${MAX_DECIMAL_PLACES} decimal places`);
  }
  return rate;
}
