import { describe, expect, it } from "vitest";
import { capture } from "../test/helpers.js";
import { decodeBody } from "./decode.js";
import { jsonDepthExceeds, jsonDoc, lastObjectForKey, stringForKey } from "./json-scan.js";

describe("jsonDepthExceeds", () => {
  it("finds nesting past the limit, in objects and arrays", () => {
    expect(jsonDepthExceeds(`${"[".repeat(129)}${"]".repeat(129)}`, 128)).toBe(true);
    expect(jsonDepthExceeds(`${'{"a":'.repeat(129)}1${"}".repeat(129)}`, 128)).toBe(true);
    expect(jsonDepthExceeds(`${"[".repeat(128)}${"]".repeat(128)}`, 128)).toBe(false);
  });

  it("counts depth, not brackets: many shallow ones pass", () => {
    const shallow = `[${Array.from({ length: 500 }, () => '{"a":[1]}').join(",")}]`;
    expect(jsonDepthExceeds(shallow, 128)).toBe(false);
    expect(jsonDepthExceeds(shallow, 3)).toBe(false);
    expect(jsonDepthExceeds(`[${shallow}]`, 3)).toBe(true);
  });

  it("ignores brackets inside strings", () => {
    expect(jsonDepthExceeds(JSON.stringify({ s: "[{".repeat(300) }), 128)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ s: '\\"[{'.repeat(300) }), 128)).toBe(false);
  });
});

describe("lastObjectForKey", () => {
  it("returns the last balanced object, with braces inside strings left alone", () => {
    const text = '{"usage":{"a":1}}, "x": {"usage": {"a": 2, "s": "}{\\"usage\\": {}"}}';
    expect(lastObjectForKey(text, "usage")).toEqual({ a: 2, s: '}{"usage": {}' });
  });

  it("skips occurrences escaped inside a JSON string", () => {
    const text = '{"usage":{"a":1},"content":"say \\"usage\\": {\\"a\\": 9}"}';
    expect(lastObjectForKey(text, "usage")).toEqual({ a: 1 });
  });

  it("returns null when the object is cut off", () => {
    expect(lastObjectForKey('{"usage": {"prompt_tokens": 12, "comp', "usage")).toBeNull();
  });

  it("ignores a key whose value is not an object", () => {
    expect(lastObjectForKey('{"usage": null}', "usage")).toBeNull();
  });
});

describe("stringForKey", () => {
  it("finds the first or last string value and unescapes it", () => {
    const text = '{"model":"a\\u002db","x":{"model":"c"}}';
    expect(stringForKey(text, "model", "first")).toBe("a-b");
    expect(stringForKey(text, "model", "last")).toBe("c");
    expect(stringForKey('{"model": 5}', "model", "first")).toBeNull();
  });
});

describe("jsonDoc", () => {
  it("explains an HTML body and an invalid JSON body", () => {
    expect(jsonDoc(decodeBody(capture("<!DOCTYPE html><html></html>")).bytes).error).toBe(
      "response is HTML or XML, not JSON",
    );
    expect(jsonDoc(decodeBody(capture("{oops")).bytes).error).toMatch(/^response is not valid JSON/);
  });

  it("parses a body with a byte order mark", () => {
    expect(jsonDoc(decodeBody(capture('\uFEFF{"a":1}')).bytes).value).toEqual({ a: 1 });
  });
});
