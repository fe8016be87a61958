import { TokenmeterError } from "@tokenmeter/runtime";

/** What went wrong, as a stable string for API responses and logs. */
export type PricingErrorCode = "invalid_rate" | "invalid_tiers" | "invalid_token_count" | "invalid_date";

/** Bad input to a pricing function; never retryable, since the same input fails the same way. */
export class PricingError extends TokenmeterError<PricingErrorCode> {
  override name = "PricingError";
  declare readonly retryable: false;

  constructor(code: PricingErrorCode, message: string) {
    super(code, message, { retryable: false });
  }
}
