import { describe, expect, it } from "vitest";
import { addStreamUsageOption, jsonNestingExceeds, MAX_REWRITE_DEPTH } from "./stream-usage.js";

const buf = (s: string) => Buffer.from(s);

describe("stream usage rewrite", () => {
  it("adds include_usage to a streaming request that lacks it", () => {
    const out = addStreamUsageOption(buf('{"model":"gpt-4","stream":true}'));
    expect(JSON.parse(String(out))).toEqual({
      model: "gpt-4",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("leaves a deeply nested body alone instead of overflowing the stack", () => {
    const deep = `{"stream":true,"x":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    expect(addStreamUsageOption(buf(deep))).toBeNull();
  });

  it("measures nesting outside strings only", () => {
    const nested = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    expect(jsonNestingExceeds(buf(nested(MAX_REWRITE_DEPTH)), MAX_REWRITE_DEPTH)).toBe(false);
    expect(jsonNestingExceeds(buf(nested(MAX_REWRITE_DEPTH + 1)), MAX_REWRITE_DEPTH)).toBe(true);
    expect(jsonNestingExceeds(buf(`{"s":"${"[".repeat(500)}\\"["}`), 2)).toBe(false);
  });
});
