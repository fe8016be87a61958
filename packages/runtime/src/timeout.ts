import { TokenmeterError } from "./errors.js";

/**
 * Resolves as `promise` does, or rejects with a retryable `timeout` error after `ms`. The timer never keeps
 * the process alive, and the promise itself is not cancelled (its settlement is ignored).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TokenmeterError("timeout", `${what}: no answer in ${ms} ms`, { retryable: true })),
      ms,
    );
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
