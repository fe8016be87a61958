/**
 * The codes every app shares: a dependency that did not answer in time, one that cannot be reached, a write
 * that collides with an existing row, and a configuration that cannot be used.
 */
export type RuntimeErrorCode = "timeout" | "unavailable" | "conflict" | "invalid_config";

/**
 * The one error class of tokenmeter: a stable, literal `code` (what an API answers and a log line says) and
 * whether trying again may succeed. Each app or package narrows `Code` to its own union, so a code nobody
 * maps cannot be thrown, and a status map typed `satisfies StatusByCode<Code>` must list every code.
 */
export class TokenmeterError<Code extends string = string> extends Error {
  override name = "TokenmeterError";
  readonly code: Code;
  readonly retryable: boolean;

  constructor(code: Code, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** An HTTP status for every code of `Code`: a missing or unknown code is a type error. */
export type StatusByCode<Code extends string> = { readonly [K in Code]: number };

/** Whether `error` is a TokenmeterError carrying one of `codes`. */
export function hasCode<Code extends string>(
  error: unknown,
  ...codes: readonly Code[]
): error is TokenmeterError<Code> {
  return error instanceof TokenmeterError && (codes as readonly string[]).includes(error.code);
}
