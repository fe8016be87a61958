/** Slugs that name our own routes, never a service. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  "healthz",
  "metrics",
  "admin",
  "api",
  "dashboard",
]);
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A proxied request's route: the service slug, the upstream path and query, and a `?key=` if present. */
export interface ProxyRoute {
  slug: string;
  /** Path below the slug plus the query string without `key`, e.g. "/v1/chat/completions?x=1". */
  upstreamPath: string;
  queryKey: string | null;
}

/**
 * Splits `/{slug}/{rest}?{query}`. Returns null when the first segment is not a service slug (our own routes).
 * The `key` query parameter is removed: it is the buyer's marketplace key, never forwarded.
 */
export function parseProxyRoute(rawUrl: string): ProxyRoute | null {
  if (rawUrl.charCodeAt(0) !== 47 /* / */) return null;
  const q = rawUrl.indexOf("?");
  const pathPart = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const slash = pathPart.indexOf("/", 1);
  const slug = slash === -1 ? pathPart.slice(1) : pathPart.slice(1, slash);
  if (!SLUG.test(slug) || RESERVED_SLUGS.has(slug)) return null;
  const rest = slash === -1 ? "/" : pathPart.slice(slash);
  if (q === -1) return { slug, upstreamPath: rest, queryKey: null };
  const params = new URLSearchParams(rawUrl.slice(q + 1));
  const queryKey = params.get("key");
  if (queryKey === null) return { slug, upstreamPath: `${rest}${rawUrl.slice(q)}`, queryKey: null };
  params.delete("key");
  const query = params.toString();
  return { slug, upstreamPath: query ? `${rest}?${query}` : rest, queryKey };
}
