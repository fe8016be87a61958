import { describe, expect, it } from "vitest";
import { parseConfigNotice } from "./config-changes.js";

describe("parseConfigNotice", () => {
  it("reads a topic and the counter its change set", () => {
    expect(parseConfigNotice("prices:42")).toEqual({ topic: "prices", version: 42n });
    expect(parseConfigNotice("services:9007199254740993")).toEqual({
      topic: "services",
      version: 9007199254740993n,
    });
    // Announced by a control plane older than the counters.
    expect(parseConfigNotice("rules")).toEqual({ topic: "rules" });
  });

  it("takes anything else as a change of everything, never a counter to trust", () => {
    for (const payload of [
      undefined,
      "",
      "price:1",
      "prices:",
      "prices:-1",
      "prices:1x",
      "prices:1:2",
      "all:3",
    ]) {
      expect(parseConfigNotice(payload)).toEqual({ topic: "all" });
    }
  });
});
