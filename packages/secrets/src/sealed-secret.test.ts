import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openSecret, parseSecretsKeyring, sealedWith, sealSecret } from "./sealed-secret.js";

const newKey = () => randomBytes(32).toString("base64url");

describe("sealed secrets", () => {
  it("seals and opens, without the plaintext appearing in the sealed form", () => {
    const keyring = parseSecretsKeyring(newKey());
    const sealed = sealSecret('{"authorization":"Bearer sk-seller"}', keyring, "gpt4");
    expect(sealed).not.toContain("sk-seller");
    expect(sealedWith(sealed)).toBe(keyring[0].id);
    expect(openSecret(sealed, keyring, "gpt4")).toBe('{"authorization":"Bearer sk-seller"}');
    // A fresh IV every time: the same plaintext never seals to the same text.
    expect(sealSecret("x", keyring, "gpt4")).not.toBe(sealSecret("x", keyring, "gpt4"));
  });

  it("opens values sealed with an older key that is still listed (rotation)", () => {
    const old = newKey();
    const sealed = sealSecret("secret", parseSecretsKeyring(old), "svc");
    const rotated = parseSecretsKeyring(`${newKey()},${old}`);
    expect(openSecret(sealed, rotated, "svc")).toBe("secret");
    expect(() => openSecret(sealed, parseSecretsKeyring(newKey()), "svc")).toThrow(/does not list/);
  });

  it("refuses a value moved to another context or tampered with", () => {
    const keyring = parseSecretsKeyring(newKey());
    const sealed = sealSecret("secret", keyring, "svc-a");
    expect(() => openSecret(sealed, keyring, "svc-b")).toThrow(/authenticate/);
    const parts = sealed.split(".");
    parts[4] = Buffer.from("forged").toString("base64url");
    expect(() => openSecret(parts.join("."), keyring, "svc-a")).toThrow(/authenticate/);
  });

  it("refuses keys that are not 32 bytes", () => {
    expect(() => parseSecretsKeyring("")).toThrow();
    expect(() => parseSecretsKeyring(Buffer.from("short").toString("base64"))).toThrow(/32 bytes/);
  });
});
