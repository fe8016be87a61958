import { Decimal } from "decimal.js";

/**
 * A USD amount as a JSON number. The value comes from PostgreSQL's exact NUMERIC text, so parsing it
 * once gives the double nearest to the exact decimal — no float arithmetic happens before that.
 */
export function costNumber(exact: string): number {
  return Number(exact);
}

/** A NUMERIC text as a plain decimal string without trailing zeros ("0.0000007500" → "0.00000075"). */
export function decimalString(exact: string | { toString(): string }): string {
  return new Decimal(exact.toString()).toFixed();
}

/** A SUM over BIGINT (NUMERIC text in PostgreSQL) as a JSON number; token counts stay below 2^53. */
export function countNumber(text: string | null | undefined): number {
  return text ? Number(text) : 0;
}

/** An id read as text (BIGINT) as a JSON number; ids stay below 2^53. */
export function idNumber(text: string): number {
  return Number(text);
}
