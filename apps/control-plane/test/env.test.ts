import { DEFAULT_QUEUE_PREFIX } from "@tokenmeter/capture";
import { TokenmeterError } from "@tokenmeter/runtime";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../src/env.js";

const TOKEN = "0123456789abcdef";
const SECRETS_KEY = Buffer.alloc(32, 7).toString("base64");

describe("parseEnv", () => {
  it("applies the documented defaults when only the secrets are set", () => {
    const env = parseEnv({ ADMIN_TOKEN: TOKEN, SECRETS_KEY });
    expect(env).toMatchObject({
      DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/tokenmeter",
      REDIS_URL: "redis://127.0.0.1:6379",
      API_PORT: 8081,
      HOST: "127.0.0.1",
      ADMIN_TOKEN: TOKEN,
      ALLOW_PRIVATE_UPSTREAMS: "none",
      QUEUE_PREFIX: DEFAULT_QUEUE_PREFIX,
      LOG_LEVEL: "info",
    });
    expect(env.SECRETS_KEY).toHaveLength(1);
    expect(Object.isFrozen(env)).toBe(true);
  });

  it("treats empty strings as unset", () => {
    const env = parseEnv({ ADMIN_TOKEN: TOKEN, SECRETS_KEY, API_PORT: "", REDIS_URL: "", LOG_LEVEL: "" });
    expect(env).toMatchObject({ API_PORT: 8081, REDIS_URL: "redis://127.0.0.1:6379", LOG_LEVEL: "info" });
  });

  it("accepts port 0 for an ephemeral port", () => {
    expect(parseEnv({ ADMIN_TOKEN: TOKEN, SECRETS_KEY, API_PORT: "0" }).API_PORT).toBe(0);
  });

  it.each([
    [{ SECRETS_KEY }, "ADMIN_TOKEN"],
    [{ ADMIN_TOKEN: "", SECRETS_KEY }, "ADMIN_TOKEN"],
    [{ ADMIN_TOKEN: "short", SECRETS_KEY }, "ADMIN_TOKEN"],
    [{ ADMIN_TOKEN: TOKEN }, "SECRETS_KEY"],
    [{ ADMIN_TOKEN: TOKEN, SECRETS_KEY: "c2hvcnQ=" }, "SECRETS_KEY"],
    [{ ADMIN_TOKEN: TOKEN, SECRETS_KEY, API_PORT: "http" }, "API_PORT"],
    [{ ADMIN_TOKEN: TOKEN, SECRETS_KEY, API_PORT: "70000" }, "API_PORT"],
    [{ ADMIN_TOKEN: TOKEN, SECRETS_KEY, DATABASE_URL: "mysql://x/y" }, "DATABASE_URL"],
    [{ ADMIN_TOKEN: TOKEN, SECRETS_KEY, REDIS_URL: "not a url" }, "REDIS_URL"],
    [{ ADMIN_TOKEN: TOKEN, SECRETS_KEY, LOG_LEVEL: "loud" }, "LOG_LEVEL"],
  ])("fails with a message naming the bad variable (%j)", (source, name) => {
    expect(() => parseEnv(source)).toThrow(TokenmeterError);
    expect(() => parseEnv(source)).toThrow(new RegExp(`\\b${name}\\b`));
  });
});
