/** Slugs that name our own routes, never a service. */
const RESERVED_SLUGS: ReadonlySet<string> = new Set(["healthz", "metrics", "admin", "api", "dashboard"]);
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A proxied request's route: the service slug, the upstream path and query, and a `?key=` if present. */
export interface ProxyRoute {
  slug: string;
  /** Path below the slug plus the query string without `key`, e.g. "/v1/chat/completions?x=1". */
  upstreamPath: string;
  queryKey: string | null;
  /** Why the path may not be forwarded (it could climb out of the service's base URL), or null. */
  pathError: string | null;
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
  const pathError = unsafePathReason(rest);
  if (q === -1) return { slug, upstreamPath: rest, queryKey: null, pathError };
  const params = new URLSearchParams(rawUrl.slice(q + 1));
  const queryKey = params.get("key");
  if (queryKey === null)
    return { slug, upstreamPath: `${rest}${rawUrl.slice(q)}`, queryKey: null, pathError };
  params.delete("key");
  const query = params.toString();
  return { slug, upstreamPath: query ? `${rest}?${query}` : rest, queryKey, pathError };
}

// Anything an upstream (or a server behind it) might read as a dot segment or a separator once decoded:
// `.`/`..` segments, their percent-encoded forms, backslashes (raw or %5C) and encoded slashes (%2F).
const SUSPECT = /[\\%]|(^|\/)\.\.?(\/|$)/;

/**
 * Why `path` (below the slug, no query) could reach outside the service's base path, or null when it cannot.
 * The path is refused rather than normalised: a buyer has no legitimate reason to send dot segments, and
 * normalising would forward a different request than the one sent.
 */
export function unsafePathReason(path: string): string | null {
  if (!SUSPECT.test(path)) return null;
  if (path.includes("\\")) return "backslashes are not allowed in paths";
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return "the path has an invalid percent-encoding";
  }
  if (decoded.includes("\\")) return "encoded backslashes are not allowed in paths";
  // Decoded once more: some servers decode twice (%252e → %2e → .).
  let twice = decoded;
  try {
    twice = decodeURIComponent(decoded);
  } catch {
    // a literal % after one decoding is fine
  }
  for (const form of [decoded, twice]) {
    for (const segment of form.split(/[/\\]/)) {
      if (segment === "." || segment === "..") return "dot segments are not allowed in paths";
    }
  }
  // An encoded slash would let `a%2F..%2Fb` become `a/../b` upstream.
  if (/%2f/i.test(path) && /(^|\/)\.\.?(\/|$)/.test(decoded)) return "dot segments are not allowed in paths";
  return null;
}
