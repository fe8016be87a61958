import { describe, expect, it } from "vitest";
import type { ApiError } from "../errors.js";
import { addDays, resolvePeriod } from "./period.js";

const now = new Date("2024-02-10T23:59:59.999Z");

describe("resolvePeriod", () => {
  it("defaults to the current UTC calendar month, through its last day (leap year)", () => {
    expect(resolvePeriod({}, now)).toEqual({
      period: "monthly",
      from: "2024-02-01",
      to: "2024-02-29",
      tz: "UTC",
    });
  });

  it("daily is the current UTC day", () => {
    expect(resolvePeriod({ period: "daily" }, now)).toEqual({
      period: "daily",
      from: "2024-02-10",
      to: "2024-02-10",
      tz: "UTC",
    });
  });

  it("uses UTC, not local time, at a day boundary", () => {
    const range = resolvePeriod({ period: "daily" }, new Date("2024-12-31T23:30:00-02:00"));
    expect(range.from).toBe("2025-01-01");
  });

  it("from/to make a custom inclusive range; to defaults to today", () => {
    expect(resolvePeriod({ from: "2024-01-01", to: "2024-01-31" }, now)).toEqual({
      period: "custom",
      from: "2024-01-01",
      to: "2024-01-31",
      tz: "UTC",
    });
    expect(resolvePeriod({ from: "2024-02-01" }, now).to).toBe("2024-02-10");
  });

  it.each([
    [{ period: "weekly" }, "invalid_period"],
    [{ period: ["daily", "monthly"] }, "invalid_period"],
    [{ period: "weekly", from: "2024-01-01" }, "invalid_period"],
    [{ from: "2024-02-30" }, "invalid_date"],
    [{ from: "20240101" }, "invalid_date"],
    [{ to: "2024-01-01" }, "invalid_range"],
    [{ from: "2024-02-02", to: "2024-02-01" }, "invalid_range"],
    [{ from: "1990-01-01", to: "2024-01-01" }, "invalid_range"],
    [{ tz: "Mars/Olympus_Mons" }, "invalid_tz"],
    [{ tz: "Asia/Kolkata'; DROP TABLE x" }, "invalid_tz"],
    [{ tz: ["UTC", "UTC"] }, "invalid_tz"],
  ])("rejects %j with %s", (query, code) => {
    expect(() => resolvePeriod(query, now)).toThrow(expect.objectContaining({ code }) as unknown as ApiError);
  });

  it("today and this month are the zone's: already the 11th in Asia/Kathmandu, still the 10th in Honolulu", () => {
    expect(resolvePeriod({ period: "daily", tz: "Asia/Kathmandu" }, now)).toMatchObject({
      from: "2024-02-11",
      tz: "Asia/Kathmandu",
    });
    expect(resolvePeriod({ period: "daily", tz: "Pacific/Honolulu" }, now).from).toBe("2024-02-10");
    const endOfJanuary = new Date("2024-01-31T20:00:00Z");
    expect(resolvePeriod({ tz: "Asia/Kolkata" }, endOfJanuary)).toMatchObject({
      from: "2024-02-01",
      to: "2024-02-29",
    });
  });

  it("adds days across month and year ends", () => {
    expect(addDays("2023-12-31", 1)).toBe("2024-01-01");
    expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
  });
});
