import { z } from "zod";
import { ApiError, isApiErrorCode } from "../errors.js";

const MAX_BIGINT = 9223372036854775807n;

/** Parses input with a schema; failures become a 400 ApiError using the first issue's `params.code`. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const params = issue && "params" in issue ? (issue.params as { code?: unknown } | undefined) : undefined;
  const code =
    typeof params?.code === "string" && isApiErrorCode(params.code) ? params.code : "invalid_request";
  const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
  throw new ApiError(code, `${where}${issue?.message ?? "invalid request"}`);
}

/** Whether a string is a positive bigint id as PostgreSQL BIGSERIAL makes them. */
function isId(value: unknown): value is string {
  return typeof value === "string" && /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= MAX_BIGINT;
}

/** A positive integer id given as a string (query parameter) or number (JSON), as a bigint. */
export const idSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = String(value);
  if (isId(text)) return BigInt(text);
  ctx.addIssue({ code: "custom", message: "must be a positive integer id" });
  return z.NEVER;
});

/** The `:id` path parameter as a bigint; anything that is not an id is a 404 like an unknown id. */
export function pathId(value: string | undefined, what: string): bigint {
  if (isId(value)) return BigInt(value);
  throw new ApiError("not_found", `${what} not found`);
}

/** An optional query-string integer between min and max. */
export const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, "must be an integer")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`)
    .optional();

/** Renders a bigint id as a JSON number (ids stay far below 2^53). */
export function idJson(id: bigint): number {
  return Number(id);
}
