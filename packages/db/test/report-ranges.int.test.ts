import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createDbClient,
  type DbClient,
  type GroupBy,
  recordUsage,
  type UsageRow,
  usageBreakdown,
  usageByService,
} from "../src/index.js";

// Every report, for many ranges and zones, equals the sums of the raw rows inside the range: whatever mix of
// monthly, daily, hourly and raw parts the plan reads, and whether a month is read whole minus its outside.
// The rows live in a year of their own (2037), so the all-buyer reports see only them.

let db: DbClient;
const buyers: bigint[] = [];
const services: bigint[] = [];
const START = Date.parse("2037-01-01T00:00:00Z");
const END = Date.parse("2037-05-01T00:00:00Z");
const ZONES = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York"];

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Inclusive local-day ranges: fixed ones that cross month edges, and random ones. */
function ranges(): Array<{ from: string; to: string }> {
  const fixed = [
    { from: "2037-01-02", to: "2037-03-31" },
    { from: "2037-02-03", to: "2037-02-26" },
    { from: "2037-01-31", to: "2037-04-01" },
    { from: "2037-03-01", to: "2037-03-31" },
    { from: "2037-02-28", to: "2037-02-28" },
    // March whole minus 1 March, where the lone model and key below were seen: they must not be reported.
    { from: "2037-03-02", to: "2037-03-31" },
  ];
  const next = random(7);
  const more = Array.from({ length: 10 }, () => {
    const a = START + Math.floor(next() * 110) * 86_400_000;
    const b = a + Math.floor(next() * 100) * 86_400_000;
    return { from: day(a), to: day(Math.min(b, END - 86_400_000)) };
  });
  return [...fixed, ...more];
}

function rows(count: number): UsageRow[] {
  const next = random(2037);
  const models = ["m-a", "m-b", null];
  return Array.from({ length: count }, () => {
    const buyer = buyers[Math.floor(next() * buyers.length)] as bigint;
    const priced = next() < 0.85;
    const input = Math.floor(next() * 900);
    const output = Math.floor(next() * 300);
    return {
      requestId: randomUUID(),
      buyerUserId: buyer,
      apiKeyId: buyer * 10n + BigInt(Math.floor(next() * 2)),
      apiServiceId: services[Math.floor(next() * services.length)] as bigint,
      // Minute marks: rows fall on the half and quarter hours that zones cut.
      requestTimestamp: new Date(START + Math.floor(next() * ((END - START) / 60_000)) * 60_000),
      httpMethod: "POST",
      path: "/v1/x",
      statusCode: next() < 0.1 ? 500 : 200,
      latencyMs: 1,
      ttfbMs: null,
      streamed: false,
      upstreamReached: true,
      errorCode: null,
      modelName: models[Math.floor(next() * models.length)] ?? null,
      inputTokens: input,
      outputTokens: output,
      totalTokens: input + output,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
      tokenCost: priced ? `0.${String(Math.floor(next() * 1e9)).padStart(10, "0")}` : null,
      modelPriceId: priced ? 1n : null,
      usageSource: "reported",
      parser: null,
      parseError: null,
      requestSizeBytes: 1,
      responseSizeBytes: 1,
      upstreamRequestId: null,
    };
  });
}

const COLUMN: Record<Exclude<GroupBy, "day">, string> = {
  buyer: "buyer_user_id::text",
  service: "api_service_id::text",
  model: "COALESCE(model_name, '')",
  key: "api_key_id::text",
};

/** The truth: sums of the raw rows inside the zone's local days, grouped in SQL. */
async function rawSums(
  groupBy: Exclude<GroupBy, "day">,
  range: { from: string; to: string },
  tz: string,
  where: string,
): Promise<Record<string, { calls: number; total_tokens: number; error_calls: number; cost: string }>> {
  const result = await db.$queryRawUnsafe<
    Array<{ k: string; calls: number; total_tokens: number; error_calls: number; cost: string }>
  >(
    `SELECT ${COLUMN[groupBy]} AS k, count(*)::int AS calls, sum(total_tokens)::int AS total_tokens,
       count(*) FILTER (WHERE status_code >= 400)::int AS error_calls, COALESCE(sum(token_cost), 0)::text AS cost
     FROM usage_logs
     WHERE request_timestamp >= ($1::date::timestamp AT TIME ZONE $3)
       AND request_timestamp < (($2::date + 1)::timestamp AT TIME ZONE $3)
       AND buyer_user_id = ANY($4::bigint[]) AND ${where}
     GROUP BY 1`,
    range.from,
    range.to,
    tz,
    buyers,
  );
  return Object.fromEntries(result.map(({ k, ...sums }) => [k, { ...sums, cost: normal(sums.cost) }]));
}

const normal = (decimal: string) => decimal.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");

function keyOf(groupBy: Exclude<GroupBy, "day">, entry: Record<string, unknown>): string {
  switch (groupBy) {
    case "buyer":
      return String(entry.buyer_id);
    case "service":
      return String(entry.api_service_id);
    case "model":
      return String(entry.model_name ?? "");
    case "key":
      return String(entry.api_key_id);
  }
}

beforeAll(async () => {
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
  for (const name of ["ranges-a", "ranges-b", "ranges-c"]) {
    buyers.push((await db.buyer.create({ data: { name } })).id);
  }
  const base = 700_000 + Math.floor(Math.random() * 90_000);
  services.push(BigInt(base), BigInt(base + 1), BigInt(base + 2));
  const lone = rows(1)[0] as UsageRow;
  await recordUsage(db, [
    ...rows(1500),
    {
      ...lone,
      modelName: "m-lone",
      apiKeyId: (buyers[0] as bigint) * 10n + 5n,
      requestTimestamp: new Date("2037-03-01T05:00:00Z"),
    },
  ]);
}, 120_000);
afterAll(async () => {
  await db.$disconnect();
});

describe("reports over any range equal the raw rows inside it", () => {
  for (const tz of ZONES) {
    it(`every grouping and scope, ${tz}`, async () => {
      let compared = 0;
      for (const range of ranges()) {
        const scopes = [
          { scope: {}, where: "TRUE" },
          { scope: { buyerId: buyers[1] as bigint }, where: `buyer_user_id = ${buyers[1]}` },
          { scope: { apiServiceId: services[0] as bigint }, where: `api_service_id = ${services[0]}` },
        ];
        for (const { scope, where } of scopes) {
          for (const groupBy of ["buyer", "service", "model", "key"] as const) {
            const report = await usageBreakdown(db, groupBy, { ...range, tz, ...scope });
            const got = Object.fromEntries(
              report.map((e) => [
                keyOf(groupBy, e as unknown as Record<string, unknown>),
                {
                  calls: e.calls,
                  total_tokens: e.total_tokens,
                  error_calls: e.error_calls,
                  cost: normal(e.token_cost_exact),
                },
              ]),
            );
            expect({ range, groupBy, scope: where, got }).toEqual({
              range,
              groupBy,
              scope: where,
              got: await rawSums(groupBy, range, tz, where),
            });
            compared++;
          }
          const { total } = await usageByService(db, { ...range, tz, ...scope });
          const truth = Object.values(await rawSums("service", range, tz, where));
          expect({ range, where, calls: total.calls }).toEqual({
            range,
            where,
            calls: truth.reduce((n, t) => n + t.calls, 0),
          });
        }
      }
      expect(compared).toBe(ranges().length * 3 * 4);
    });
  }
});
