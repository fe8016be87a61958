import type { ServerResponse } from "node:http";

/** Error codes the proxy answers with, and their HTTP status. */
const PROXY_ERRORS = {
  missing_key: 401,
  invalid_key: 401,
  unknown_service: 404,
  invalid_path: 400,
  method_not_allowed: 405,
  request_timeout: 408,
  request_too_large: 413,
  rate_limited: 429,
  internal_error: 500,
  upstream_unreachable: 502,
  upstream_aborted: 502,
  upstream_timeout: 504,
  auth_unavailable: 503,
} as const;
export type ProxyErrorCode = keyof typeof PROXY_ERRORS;

/** Sends `{code, message}` with the code's status, unless headers are already out. */
export function sendJsonError(res: ServerResponse, code: ProxyErrorCode, message: string): number {
  const status = PROXY_ERRORS[code];
  if (res.headersSent) return status;
  const body = JSON.stringify({ error: { code, message }, code, message });
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
  return status;
}
