import { describe, expect, it } from "vitest";
import { boundedModelLabel } from "./metrics.js";

describe("boundedModelLabel", () => {
  it("names the first N models and counts the rest as other, keeping each model's label stable", () => {
    const label = boundedModelLabel(2);
    expect(label("a")).toBe("a");
    expect(label("b")).toBe("b");
    expect(label("c")).toBe("other");
    expect(label("a")).toBe("a");
    expect(label(null)).toBe("other");
  });
});
