import { describe, expect, it } from "vitest";
import { PricingError } from "./errors.js";
import { parseUsdRate } from "./rates.js";

const rejection = (value: string | number): PricingError => {
  try {
    parseUsdRate(value);
  } catch (err) {
    if (err instanceof PricingError) return err;
    throw err;
  }
  throw new Error(`accepted ${String(value)}`);
};

describe("parseUsdRate", () => {
  it("accepts decimal strings exactly as written", () => {
    expect(parseUsdRate("0.00025").toString()).toBe("0.00025");
    expect(parseUsdRate(" 0.03 ").toFixed()).toBe("0.03");
    expect(parseUsdRate("1000").toFixed()).toBe("1000");
    expect(parseUsdRate("0.0000000001").toFixed()).toBe("0.0000000001");
    expect(parseUsdRate(".5").toFixed()).toBe("0.5");
    expect(parseUsdRate("2.5e-3").toFixed()).toBe("0.0025");
  });

  it("treats trailing zeros as value, not precision", () => {
    expect(parseUsdRate("0.003000000000000").toFixed()).toBe("0.003");
  });

  it("converts numbers through their shortest string form, not float maths", () => {
    expect(parseUsdRate(0.1).toFixed()).toBe("0.1");
    expect(parseUsdRate(0.0015).toFixed()).toBe("0.0015");
    expect(parseUsdRate(1e-7).toFixed()).toBe("0.0000001");
    expect(parseUsdRate(0).toFixed()).toBe("0");
    expect(parseUsdRate(-0).isNegative()).toBe(false);
    expect(parseUsdRate("-0").isNegative()).toBe(false);
  });

  it("rejects negative, non-finite and over-precise rates", () => {
    for (const bad of [
      "-0.01",
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "Infinity",
      "NaN",
      "0.00000000001",
    ]) {
      const err = rejection(bad);
      expect(err.code).toBe("invalid_rate");
      expect(err.retryable).toBe(false);
      expect(err.name).toBe("PricingError");
    }
    expect(rejection("-0.01").message).toMatch(/negative/);
    expect(rejection("0.00000000001").message).toMatch(/decimal places/);
  });

  it("rejects a float artefact such as 0.1 + 0.2 as over-precise", () => {
    expect(rejection(0.1 + 0.2).message).toMatch(/decimal places/);
  });

  it("rejects rates above 1000 USD per 1K tokens", () => {
    expect(rejection("1000.0000000001").code).toBe("invalid_rate");
    expect(rejection(1e21).code).toBe("invalid_rate");
    expect(rejection("1e9999").code).toBe("invalid_rate");
  });

  it("rejects text that is not a plain decimal number", () => {
    for (const bad of [
      "",
      "   ",
      "abc",
      "0x10",
      "0b1",
      "1,5",
      "$0.03",
      "1/3",
      "0.0.1",
      "+0.1",
      "1e99999",
      "1".repeat(101),
    ]) {
      expect(rejection(bad).code).toBe("invalid_rate");
    }
    expect(rejection(null as unknown as string).code).toBe("invalid_rate");
    expect(rejection(true as unknown as number).code).toBe("invalid_rate");
  });
});
