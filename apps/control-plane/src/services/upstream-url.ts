import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

// Loopback, private, link-local (cloud metadata lives at 169.254.169.254), CGNAT, "this network", unique-local.
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv6");

/** Whether an IP literal is loopback, private or link-local (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return PRIVATE.check(mapped[1], "ipv4");
  const family = isIP(address);
  if (family === 0) return false;
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** Which private targets services may point at: none, all (development), or the hosts listed. */
export type PrivateUpstreams = "none" | "all" | ReadonlySet<string>;

/** Parses `ALLOW_PRIVATE_UPSTREAMS`: `true`/`false`, or a comma-separated list of host names and IPs. */
export function parsePrivateUpstreams(value: string | undefined): PrivateUpstreams {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || v === "false" || v === "0" || v === "no") return "none";
  if (v === "true" || v === "1" || v === "yes" || v === "*") return "all";
  return new Set(
    v
      .split(",")
      .map((h) => h.trim().replace(/^\[|\]$/g, ""))
      .filter(Boolean),
  );
}

// Query parameters that carry credentials; they belong in upstream_headers, which are sealed and never shown.
const SECRET_PARAM = /(key|token|secret|password|passwd|auth|signature|sig|credential|session)/i;

/** Why `value` cannot be a service's upstream URL (syntax and secrets only), or null. */
export function upstreamUrlProblem(value: string): string | null {
  // Control characters and spaces would be stripped or split by URL parsing and by servers differently.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || (c >= 0x7f && c <= 0x9f)) return "must not contain spaces or control characters";
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute http(s) URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http(s) URL";
  if (url.username || url.password) return "must not carry credentials (use upstream_headers)";
  if (url.hash) return "must not have a fragment";
  for (const name of url.searchParams.keys()) {
    if (SECRET_PARAM.test(name)) return `query parameter "${name}" looks like a secret: use upstream_headers`;
  }
  return null;
}

/** Resolves a host name, giving up (no addresses) after `ms`: an admin call must not hang on DNS. */
function resolveWithin(ms: number): (host: string) => Promise<string[]> {
  return (host) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve([]), ms);
    });
    const resolved = lookup(host, { all: true }).then((all) => all.map((a) => a.address));
    return Promise.race([resolved, timeout]).finally(() => clearTimeout(timer));
  };
}

/**
 * Why `value`'s host is refused as a private target under `allowed`, or null. Host names are resolved: a name
 * that resolves to any private address counts as private. A name that does not resolve is accepted (the
 * proxy answers 502 for it, as for any upstream that is down).
 */
export async function privateTargetProblem(
  value: string,
  allowed: PrivateUpstreams,
  resolve: (host: string) => Promise<string[]> = resolveWithin(2000),
): Promise<string | null> {
  if (allowed === "all") return null;
  const host = new URL(value).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (allowed !== "none" && allowed.has(host)) return null;
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else if (host === "localhost" || host.endsWith(".localhost")) addresses = ["127.0.0.1"];
  else addresses = await resolve(host).catch(() => []);
  const hit = addresses.find(isPrivateAddress);
  return hit === undefined
    ? null
    : `points at a private, loopback or link-local address (${hit}); allow it with ALLOW_PRIVATE_UPSTREAMS`;
}
