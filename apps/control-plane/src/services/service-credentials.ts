import type { DbClient } from "@tokenmeter/db";
import { openHeaders, type SecretsKeyring, sealedWith, sealHeaders } from "@tokenmeter/secrets";

/** A service row's credential columns. */
export interface CredentialColumns {
  slug: string;
  upstreamHeaders: unknown;
  upstreamHeadersSealed: string | null;
}

function plaintextHeaders(value: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === "string") headers[k] = v;
  }
  return headers;
}

/** The names (never the values) of a service's upstream headers; empty when they cannot be opened. */
export function headerNames(row: CredentialColumns, keyring: SecretsKeyring): string[] {
  if (row.upstreamHeadersSealed === null) return Object.keys(plaintextHeaders(row.upstreamHeaders)).sort();
  try {
    return Object.keys(openHeaders(row.upstreamHeadersSealed, keyring, row.slug)).sort();
  } catch {
    return [];
  }
}

/** The columns to write for new upstream headers: sealed, with the plaintext column left empty. */
export function credentialColumns(
  headers: Readonly<Record<string, string>>,
  keyring: SecretsKeyring,
  slug: string,
) {
  return { upstreamHeaders: {}, upstreamHeadersSealed: sealHeaders(headers, keyring, slug) };
}

/**
 * Seals every service whose credentials are still in the plaintext column (rows from before sealing) and
 * re-seals those sealed with a key that is no longer the first of SECRETS_KEY (rotation). Returns how many rows
 * changed. Values sealed with a key the keyring does not list are left alone (and reported by the proxy).
 */
export async function resealServiceCredentials(db: DbClient, keyring: SecretsKeyring): Promise<number> {
  const rows = await db.apiService.findMany({
    select: { id: true, slug: true, upstreamHeaders: true, upstreamHeadersSealed: true },
  });
  let changed = 0;
  for (const row of rows) {
    let headers: Record<string, string>;
    if (row.upstreamHeadersSealed === null) {
      headers = plaintextHeaders(row.upstreamHeaders);
    } else if (sealedWith(row.upstreamHeadersSealed) !== keyring[0].id) {
      try {
        headers = openHeaders(row.upstreamHeadersSealed, keyring, row.slug);
      } catch {
        continue;
      }
    } else continue;
    await db.apiService.update({
      where: { id: row.id },
      data: credentialColumns(headers, keyring, row.slug),
    });
    changed++;
  }
  return changed;
}
