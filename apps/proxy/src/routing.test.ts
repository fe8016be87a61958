import { describe, expect, it } from "vitest";
import { parseProxyRoute, unsafePathReason } from "./routing.js";

describe("parseProxyRoute", () => {
  it("splits the slug, the upstream path and the buyer's ?key=", () => {
    expect(parseProxyRoute("/gpt4/v1/chat/completions?key=tm_x&a=1")).toEqual({
      slug: "gpt4",
      upstreamPath: "/v1/chat/completions?a=1",
      queryKey: "tm_x",
      pathError: null,
    });
    expect(parseProxyRoute("/healthz")).toBeNull();
  });

  it("flags paths that climb out of the service's base path", () => {
    for (const url of [
      "/evil/../../secret",
      "/evil/%2e%2e/secret",
      "/evil/.%2e/secret",
      "/evil/%2E%2E/secret",
      "/gpt4/../claude/messages",
      "/evil/..\\..\\secret",
      "/evil/a%5c..%5csecret",
      "/evil/a%2f..%2fsecret",
      "/evil/%252e%252e/secret",
      "/evil/./v1",
      "/evil/v1/..",
    ]) {
      expect(parseProxyRoute(url)?.pathError, url).toBeTruthy();
    }
  });

  it("lets ordinary paths through, dots and percent-encodings included", () => {
    for (const path of [
      "/v1/chat/completions",
      "/v1beta/models/gemini-2.5-flash:generateContent",
      "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse",
      "/v1/files/file.name.json",
      "/v1/a..b/c",
      "/",
    ]) {
      expect(unsafePathReason(path), path).toBeNull();
    }
  });

  it("refuses a path whose percent-encoding is invalid only when it is suspect", () => {
    expect(unsafePathReason("/v1/%zz")).toBe("the path has an invalid percent-encoding");
  });
});
