import { classifyDbError } from "@tokenmeter/db";
import { type StatusByCode, TokenmeterError } from "@tokenmeter/runtime";
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";

// The only place where an error code becomes an HTTP status. `satisfies` makes it exhaustive: a code added to
// ApiErrorCode without a status here, or a status for a code that does not exist, does not compile.
const STATUS_BY_CODE = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_cursor: 400,
  invalid_period: 400,
  invalid_date: 400,
  invalid_range: 400,
  invalid_group_by: 400,
  invalid_rate: 400,
  invalid_tiers: 400,
  invalid_rule: 400,
  invalid_slug: 400,
  reserved_slug: 400,
  unknown_seller: 400,
  invalid_tz: 400,
  unauthorized: 401,
  cross_site_request: 403,
  read_only: 403,
  missing_api_key: 401,
  invalid_api_key: 401,
  not_found: 404,
  slug_taken: 409,
  price_version_exists: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  queue_unavailable: 503,
  query_timeout: 503,
  internal_error: 500,
} as const satisfies StatusByCode<ApiErrorCode>;

/** Every code the control plane answers with. */
export type ApiErrorCode =
  | "invalid_json"
  | "invalid_request"
  | "invalid_cursor"
  | "invalid_period"
  | "invalid_date"
  | "invalid_range"
  | "invalid_group_by"
  | "invalid_rate"
  | "invalid_tiers"
  | "invalid_rule"
  | "invalid_slug"
  | "reserved_slug"
  | "unknown_seller"
  | "invalid_tz"
  | "unauthorized"
  | "cross_site_request"
  | "read_only"
  | "missing_api_key"
  | "invalid_api_key"
  | "not_found"
  | "slug_taken"
  | "price_version_exists"
  | "payload_too_large"
  | "unsupported_media_type"
  | "queue_unavailable"
  | "query_timeout"
  | "internal_error";

/** An error with a stable code; rendered as `{code, message}` with the status mapped here. */
export class ApiError extends TokenmeterError<ApiErrorCode> {
  override name = "ApiError";
}

/** Whether a string (e.g. a code carried by a zod issue) is one of the control plane's codes. */
export function isApiErrorCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(STATUS_BY_CODE, code);
}

/** The HTTP status of an error code. */
function statusOf(code: ApiErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** Answers 404 JSON for any request no route handled. */
export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ code: "not_found", message: `no route for ${req.method} ${req.path}` });
};

// body-parser marks its errors with a `type`; map the ones a client can cause.
function fromBodyParser(error: unknown): ApiError | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  if (type === "entity.parse.failed") return new ApiError("invalid_json", "request body is not valid JSON");
  if (type === "entity.too.large") return new ApiError("payload_too_large", "request body exceeds 1 MB");
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new ApiError("unsupported_media_type", "unsupported body encoding");
  }
  return undefined;
}

// Prisma's messages can quote the query's arguments (e.g. a service's upstream_headers): log only their
// class, code and what the failure means (unavailable, timeout, …). Other errors keep message and stack.
function loggable(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  if (error.name.startsWith("PrismaClient"))
    return { name: error.name, code: (error as { code?: unknown }).code, kind: classifyDbError(error)?.code };
  return { name: error.name, message: error.message, stack: error.stack };
}

/** Renders ApiErrors and parser errors as JSON; logs anything else and answers 500 without details. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const apiError = error instanceof ApiError ? error : fromBodyParser(error);
    if (apiError) {
      res.status(statusOf(apiError.code)).json({ code: apiError.code, message: apiError.message });
      return;
    }
    // Only the method and path are logged: headers and bodies may carry keys or seller credentials.
    logger.error({ err: loggable(error), method: req.method, path: req.path }, "request failed");
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(500).json({ code: "internal_error", message: "internal error" });
  };
}
