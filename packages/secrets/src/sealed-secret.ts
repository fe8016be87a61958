import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { TokenmeterError } from "@tokenmeter/runtime";

/** One AES-256 key of the keyring, named by a digest of itself. */
export interface SecretsKey {
  id: string;
  key: Buffer;
}

/** Keys that open sealed values; the first one seals. */
export type SecretsKeyring = readonly [SecretsKey, ...SecretsKey[]];

/** Why a sealed value cannot be opened, or a keyring cannot be read. */
export type SecretsErrorCode = "invalid_keyring" | "unknown_key" | "malformed" | "tampered";

/** A sealed value that cannot be opened, or a keyring that cannot be read. */
export class SecretsError extends TokenmeterError<SecretsErrorCode> {
  override name = "SecretsError";
}

const VERSION = "v1";

/** Parses `SECRETS_KEY`: comma-separated 32-byte keys in base64 or base64url, the first one sealing. */
export function parseSecretsKeyring(value: string): SecretsKeyring {
  const keys = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((encoded) => {
      const key = Buffer.from(encoded.replace(/-/g, "+").replace(/_/g, "/"), "base64");
      if (key.length !== 32) {
        throw new SecretsError("invalid_keyring", "each key must be 32 bytes, base64-encoded");
      }
      return { id: createHash("sha256").update(key).digest("hex").slice(0, 16), key };
    });
  const [first, ...rest] = keys;
  if (!first) throw new SecretsError("invalid_keyring", "no key given");
  return [first, ...rest];
}

/** Encrypts `plaintext` with the keyring's first key; `context` must be given again to open it. */
export function sealSecret(plaintext: string, keyring: SecretsKeyring, context: string): string {
  const { id, key } = keyring[0];
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    VERSION,
    id,
    iv.toString("base64url"),
    tag.toString("base64url"),
    ciphertext.toString("base64url"),
  ].join(".");
}

/** The id of the key a value was sealed with, or null when it is not a sealed value. */
export function sealedWith(sealed: string): string | null {
  const parts = sealed.split(".");
  return parts.length === 5 && parts[0] === VERSION ? (parts[1] ?? null) : null;
}

/** Decrypts a value sealed by `sealSecret` with the same `context`. */
export function openSecret(sealed: string, keyring: SecretsKeyring, context: string): string {
  const parts = sealed.split(".");
  if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretsError("malformed", "not a sealed value");
  const [, id, iv, tag, ciphertext] = parts as [string, string, string, string, string];
  const entry = keyring.find((k) => k.id === id);
  if (!entry) throw new SecretsError("unknown_key", `sealed with key ${id}, which SECRETS_KEY does not list`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", entry.key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    throw new SecretsError("tampered", "the sealed value does not authenticate");
  }
}

/** Seals a service's upstream headers (the seller's credentials), bound to the service's slug. */
export function sealHeaders(
  headers: Readonly<Record<string, string>>,
  keyring: SecretsKeyring,
  slug: string,
): string {
  return sealSecret(JSON.stringify(headers), keyring, `api_services:${slug}`);
}

/** Opens what `sealHeaders` sealed; throws SecretsError when it cannot. */
export function openHeaders(sealed: string, keyring: SecretsKeyring, slug: string): Record<string, string> {
  const parsed: unknown = JSON.parse(openSecret(sealed, keyring, `api_services:${slug}`));
  const headers: Record<string, string> = {};
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
    for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") headers[k] = v;
  }
  return headers;
}
