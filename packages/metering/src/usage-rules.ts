import type { DbClient } from "@tokenmeter/db";
import type { UsageRule } from "@tokenmeter/usage";

/** An operator's rule, and the service it is limited to (null: every service). */
export interface ScopedUsageRule {
  apiServiceId: number | null;
  rule: UsageRule;
}

/** Loads the enabled operator rules, oldest first (the order they are tried in). */
export async function loadUsageRules(db: DbClient): Promise<ScopedUsageRule[]> {
  const rows = await db.usageRule.findMany({ where: { enabled: true }, orderBy: { id: "asc" } });
  return rows.map((r) => ({
    apiServiceId: r.apiServiceId === null ? null : Number(r.apiServiceId),
    rule: {
      name: r.name,
      inputTokens: r.inputTokensPattern ?? undefined,
      outputTokens: r.outputTokensPattern ?? undefined,
      totalTokens: r.totalTokensPattern ?? undefined,
      model: r.modelPattern ?? undefined,
    },
  }));
}

/** The rules that apply to one service's calls. */
export function rulesFor(rules: readonly ScopedUsageRule[], serviceId: number): UsageRule[] {
  const out: UsageRule[] = [];
  for (const r of rules) if (r.apiServiceId === null || r.apiServiceId === serviceId) out.push(r.rule);
  return out;
}
