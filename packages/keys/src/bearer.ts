/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750), or undefined for
 * any other header. The one parser behind the proxy's and the control plane's key extraction.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}
