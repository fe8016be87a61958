import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import { countNumber } from "./render.js";

/** One model seen with tokens and no price. */
export interface UnpricedModel {
  model_name: string | null;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  first_seen: string;
  last_seen: string;
}

/**
 * Models of the rows that have tokens and no price (token_cost NULL), most calls first. Reads usage_logs
 * through the token_cost index (a B-tree keeps NULLs), so only unpriced rows are visited.
 */
export async function unpricedModels(
  db: PrismaClient,
  q: { from?: Date; to?: Date; limit: number },
): Promise<UnpricedModel[]> {
  const clauses = [Prisma.sql`token_cost IS NULL`];
  if (q.from) clauses.push(Prisma.sql`request_timestamp >= ${q.from}`);
  if (q.to) clauses.push(Prisma.sql`request_timestamp < ${q.to}`);
  const rows = await db.$queryRaw<
    Array<{
      model_name: string | null;
      calls: string;
      input_tokens: string;
      output_tokens: string;
      total_tokens: string;
      first_seen: Date;
      last_seen: Date;
    }>
  >`
    SELECT model_name, count(*)::text AS calls, sum(input_tokens)::text AS input_tokens,
      sum(output_tokens)::text AS output_tokens, sum(total_tokens)::text AS total_tokens,
      min(request_timestamp) AS first_seen, max(request_timestamp) AS last_seen
    FROM usage_logs WHERE ${Prisma.join(clauses, " AND ")}
    GROUP BY model_name
    ORDER BY count(*) DESC, model_name
    LIMIT ${q.limit}`;
  return rows.map((r) => ({
    model_name: r.model_name,
    calls: countNumber(r.calls),
    input_tokens: countNumber(r.input_tokens),
    output_tokens: countNumber(r.output_tokens),
    total_tokens: countNumber(r.total_tokens),
    first_seen: r.first_seen.toISOString(),
    last_seen: r.last_seen.toISOString(),
  }));
}
