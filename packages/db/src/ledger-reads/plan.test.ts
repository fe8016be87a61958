import { describe, expect, it } from "vitest";
import { planReads, type ReadPlan, type Span } from "./plan.js";

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string) => Date.parse(iso);
const iso = (spans: Span[]) =>
  spans.map((s) => `${new Date(s.from).toISOString()}..${new Date(s.to).toISOString()}`);

const length = (spans: Span[]) => spans.reduce((n, s) => n + s.to - s.from, 0);
const NO_MINUS = { daily: [], hourly: [], raw: [] };

// Invariants every plan must keep: disjoint, covering [start, end) exactly once (added minus subtracted),
// aligned, and no boundary inside a rollup span.
function checkPlan(boundaries: number[], plan: ReadPlan): void {
  const start = boundaries[0] as number;
  const end = boundaries.at(-1) as number;
  const all = [...plan.monthly, ...plan.daily, ...plan.hourly, ...plan.raw].sort((a, b) => a.from - b.from);
  for (let i = 1; i < all.length; i++) expect(all[i]?.from).toBeGreaterThanOrEqual(all[i - 1]?.to as number);
  // What is subtracted lies outside the range and inside a month read whole, and never twice.
  const minus = [...plan.minus.daily, ...plan.minus.hourly, ...plan.minus.raw].sort(
    (a, b) => a.from - b.from,
  );
  for (let i = 1; i < minus.length; i++)
    expect(minus[i]?.from).toBeGreaterThanOrEqual(minus[i - 1]?.to as number);
  for (const m of minus) {
    expect(m.to <= start || m.from >= end).toBe(true);
    expect(plan.monthly.some((s) => s.from <= m.from && m.to <= s.to)).toBe(true);
  }
  // Disjoint added spans whose length is the range's plus what is subtracted: they cover both exactly.
  expect(length(all) - length(minus)).toBe(end - start);
  for (const s of all)
    expect(s.from >= start || minus.some((m) => m.from <= s.from && s.from < m.to)).toBe(true);
  for (const s of plan.daily) expect([s.from % D, s.to % D]).toEqual([0, 0]);
  for (const s of plan.hourly) expect([s.from % H, s.to % H]).toEqual([0, 0]);
  for (const s of plan.monthly) {
    expect([new Date(s.from).toISOString().slice(8), new Date(s.to).toISOString().slice(8)]).toEqual([
      "01T00:00:00.000Z",
      "01T00:00:00.000Z",
    ]);
  }
  // Rollup spans are unions of whole units; a boundary may touch a unit's edge but never fall inside one.
  for (const [spans, unit] of [
    [plan.daily, D],
    [plan.hourly, H],
  ] as const) {
    for (const s of spans) {
      for (const b of boundaries) if (b > s.from && b < s.to) expect(b % unit).toBe(0);
    }
  }
  // A month read whole may hold the range's own ends (its outside is subtracted), never a cut inside the range.
  for (const s of plan.monthly) {
    for (const b of boundaries.slice(1, -1)) {
      if (b > s.from && b < s.to) expect(new Date(b).toISOString().slice(8)).toBe("01T00:00:00.000Z");
    }
  }
}

describe("planReads", () => {
  it("reads a UTC month from the daily rollups alone", () => {
    const plan = planReads([at("2024-02-01T00:00:00Z"), at("2024-03-01T00:00:00Z")]);
    expect(iso(plan.daily)).toEqual(["2024-02-01T00:00:00.000Z..2024-03-01T00:00:00.000Z"]);
    expect(plan.hourly).toEqual([]);
    expect(plan.raw).toEqual([]);
  });

  it("an Asia/Kolkata day (+05:30): hourly in the middle, the two half hours from raw rows", () => {
    const b = [at("2024-03-09T18:30:00Z"), at("2024-03-10T18:30:00Z")];
    const plan = planReads(b);
    expect(plan.daily).toEqual([]);
    expect(iso(plan.hourly)).toEqual(["2024-03-09T19:00:00.000Z..2024-03-10T18:00:00.000Z"]);
    expect(iso(plan.raw)).toEqual([
      "2024-03-09T18:30:00.000Z..2024-03-09T19:00:00.000Z",
      "2024-03-10T18:00:00.000Z..2024-03-10T18:30:00.000Z",
    ]);
    checkPlan(b, plan);
  });

  it("an Asia/Kolkata month uses whole UTC days inside it", () => {
    const b = [at("2024-01-31T18:30:00Z"), at("2024-02-29T18:30:00Z")];
    const plan = planReads(b);
    expect(iso(plan.daily)).toEqual(["2024-02-01T00:00:00.000Z..2024-02-29T00:00:00.000Z"]);
    expect(iso(plan.hourly)).toEqual([
      "2024-01-31T19:00:00.000Z..2024-02-01T00:00:00.000Z",
      "2024-02-29T00:00:00.000Z..2024-02-29T18:00:00.000Z",
    ]);
    checkPlan(b, plan);
  });

  it("grouping by day in Asia/Kathmandu (+05:45) reads each cut hour raw and never a daily rollup", () => {
    const b = [at("2024-05-31T18:15:00Z"), at("2024-06-01T18:15:00Z"), at("2024-06-02T18:15:00Z")];
    const plan = planReads(b);
    expect(plan.daily).toEqual([]);
    expect(iso(plan.raw)).toEqual([
      "2024-05-31T18:15:00.000Z..2024-05-31T19:00:00.000Z",
      "2024-06-01T18:00:00.000Z..2024-06-01T19:00:00.000Z",
      "2024-06-02T18:00:00.000Z..2024-06-02T18:15:00.000Z",
    ]);
    checkPlan(b, plan);
  });

  it("a DST day (America/New_York, 23 hours) in a whole-hour zone needs no raw rows", () => {
    const b = [at("2024-03-10T05:00:00Z"), at("2024-03-11T04:00:00Z")];
    const plan = planReads(b);
    expect(plan.raw).toEqual([]);
    expect(iso(plan.hourly)).toEqual(["2024-03-10T05:00:00.000Z..2024-03-11T04:00:00.000Z"]);
    checkPlan(b, plan);
  });

  it("rawOnly reads the whole range from rows; an empty range reads nothing", () => {
    const b = [at("2024-01-01T00:00:00Z"), at("2024-01-02T00:00:00Z")];
    expect(planReads(b, { rawOnly: true })).toEqual({
      monthly: [],
      daily: [],
      hourly: [],
      raw: [{ from: b[0], to: b[1] }],
      minus: NO_MINUS,
    });
    expect(planReads([b[0] as number, b[0] as number])).toEqual({
      monthly: [],
      daily: [],
      hourly: [],
      raw: [],
      minus: NO_MINUS,
    });
  });

  it("with months, reads whole UTC months from the monthly level and the edges below it", () => {
    const b = [at("2024-01-15T00:00:00Z"), at("2024-04-10T00:00:00Z")];
    const plan = planReads(b, { months: true });
    expect(iso(plan.monthly)).toEqual(["2024-02-01T00:00:00.000Z..2024-04-01T00:00:00.000Z"]);
    expect(iso(plan.daily)).toEqual([
      "2024-01-15T00:00:00.000Z..2024-02-01T00:00:00.000Z",
      "2024-04-01T00:00:00.000Z..2024-04-10T00:00:00.000Z",
    ]);
    expect(plan.minus).toEqual(NO_MINUS);
    checkPlan(b, plan);
  });

  it("with months, a mostly covered month is read whole minus its outside (90 days from 2 September)", () => {
    const b = [at("2024-09-02T00:00:00Z"), at("2024-12-01T00:00:00Z")];
    const plan = planReads(b, { months: true });
    expect(iso(plan.monthly)).toEqual(["2024-09-01T00:00:00.000Z..2024-12-01T00:00:00.000Z"]);
    expect(plan.daily).toEqual([]);
    expect(iso(plan.minus.daily)).toEqual(["2024-09-01T00:00:00.000Z..2024-09-02T00:00:00.000Z"]);
    checkPlan(b, plan);
    // Inside one month: the month minus both of its ends.
    const inside = [at("2024-11-03T00:00:00Z"), at("2024-11-29T00:00:00Z")];
    const p2 = planReads(inside, { months: true });
    expect(iso(p2.monthly)).toEqual(["2024-11-01T00:00:00.000Z..2024-12-01T00:00:00.000Z"]);
    expect(iso(p2.minus.daily)).toEqual([
      "2024-11-01T00:00:00.000Z..2024-11-03T00:00:00.000Z",
      "2024-11-29T00:00:00.000Z..2024-12-01T00:00:00.000Z",
    ]);
    checkPlan(inside, p2);
  });

  it("with months, a zone's local month takes the UTC months wholly inside it, never a cut one", () => {
    // Asia/Kolkata, 1 January to 31 March local: January and February whole; March whole minus its last
    // five and a half UTC hours (cheaper than 30 days and 18 hours), the half hour from raw rows.
    const b = [at("2023-12-31T18:30:00Z"), at("2024-03-31T18:30:00Z")];
    const plan = planReads(b, { months: true });
    expect(iso(plan.monthly)).toEqual(["2024-01-01T00:00:00.000Z..2024-04-01T00:00:00.000Z"]);
    expect(iso(plan.minus.raw)).toEqual(["2024-03-31T18:30:00.000Z..2024-03-31T19:00:00.000Z"]);
    expect(iso(plan.minus.hourly)).toEqual(["2024-03-31T19:00:00.000Z..2024-04-01T00:00:00.000Z"]);
    checkPlan(b, plan);
    // Grouped by local day, every midnight is a boundary: no month is ever read whole.
    const days = Array.from({ length: 61 }, (_, i) => at("2023-12-31T18:30:00Z") + i * D);
    expect(planReads(days, { months: true }).monthly).toEqual([]);
  });

  it("keeps its invariants for random boundaries on minute marks", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let run = 0; run < 300; run++) {
      let t = at("2024-01-01T00:00:00Z") + Math.floor(random() * 48) * 15 * 60_000;
      const boundaries = [t];
      const count = 1 + Math.floor(random() * 6);
      for (let i = 0; i < count; i++) {
        t += (1 + Math.floor(random() * (run % 2 === 0 ? 20_000 : 200))) * 15 * 60_000;
        boundaries.push(t);
      }
      checkPlan(boundaries, planReads(boundaries, { months: run % 2 === 0 }));
    }
  });
});
