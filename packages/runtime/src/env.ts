import { z } from "zod";
import { TokenmeterError } from "./errors.js";

/** The environment as Node gives it. */
export type EnvSource = Record<string, string | undefined>;

/** Wraps a schema so an empty variable counts as unset: `FOO=` in a compose file falls back to the default. */
export const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema);

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Schemas for the kinds of variable the apps read; each treats an empty value as unset. */
export const envVar = {
  /** An integer ≥ `min` (and ≤ `max`), `fallback` when unset. */
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    unsetIfEmpty(z.coerce.number().int().min(min).max(max).default(fallback)),
  /** A TCP port; 0 asks the system for a free one. */
  port: (fallback: number) => unsetIfEmpty(z.coerce.number().int().min(0).max(65535).default(fallback)),
  /** A non-empty string. */
  string: (fallback: string) => unsetIfEmpty(z.string().min(1).default(fallback)),
  /** A URL whose scheme is one of `protocols` (e.g. `["redis:", "rediss:"]`). */
  url: (fallback: string, protocols: readonly string[]) =>
    unsetIfEmpty(
      z
        .string()
        .refine(
          (value) => {
            try {
              return protocols.includes(new URL(value).protocol);
            } catch {
              return false;
            }
          },
          `must be a ${protocols.join(" or ")}// URL`,
        )
        .default(fallback),
    ),
  /** pino's levels. */
  logLevel: () => unsetIfEmpty(z.enum(LOG_LEVELS).default("info")),
};

/**
 * Parses an app's environment once into a frozen object; throws one `invalid_config` error whose message
 * names every bad variable (not only the first), so a person fixes them all in one go.
 */
export function parseEnv<S extends z.ZodType>(
  app: string,
  schema: S,
  source: EnvSource = process.env,
): Readonly<z.output<S>> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join(".") || "(all)"}: ${issue.message}`,
    );
    throw new TokenmeterError("invalid_config", `invalid ${app} configuration:\n${lines.join("\n")}`);
  }
  return Object.freeze(parsed.data);
}

/**
 * Runs an app's env parser at start-up: a bad configuration is a message for a person, not a stack trace, so
 * it is printed and the process exits 1.
 */
export function loadEnv<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
