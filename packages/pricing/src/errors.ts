/** What went wrong, as a stable string for API responses and logs. */
export type PricingErrorCode = "invalid_rate" | "invalid_tiers" | "invalid_token_count" | "invalid_date";

/** Bad input to a pricing function; never retryable, since the same input fails the same way. */
export class PricingError extends Error {
  override readonly name = "PricingError";
  readonly code: PricingErrorCode;
  readonly retryable = false as const;

  constructor(code: PricingErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
