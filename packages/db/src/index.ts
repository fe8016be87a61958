// The node-postgres side (pool, the proxy's lookups, request times) lives in @tokenmeter/pg, which loads no
// Prisma; re-exported here for the apps that hold both.
export {
  type BuyerKeyRecord,
  createPgPool,
  findBuyerKey,
  findServiceRoute,
  type PgPool,
  requestTimeOf,
  type ServiceRouteRecord,
} from "@tokenmeter/pg";
export { createDbClient, type DbClient, type DbClientOptions, queryTimeoutKind } from "./client.js";
export {
  CONFIG_CHANNEL,
  type ConfigListener,
  type ConfigListenerOptions,
  type ConfigTopic,
  type ConfigVersions,
  listenForConfigChanges,
  notifyConfigChange,
  parseConfigNotice,
  readConfigVersions,
} from "./config-changes.js";
export {
  dropDatabase,
  ensureDatabase,
  migrateDatabase,
  PRISMA_DIR,
  prepareDatabase,
  runPrismaCli,
} from "./database-admin.js";
export { classifyDbError, type DbErrorCode } from "./errors.js";
export { Prisma } from "./generated/prisma/client.js";
export {
  applyLedgerCorrections,
  type LedgerChunkQuery,
  type LedgerCorrection,
  type LedgerRow,
  type LedgerTx,
  ledgerIdRange,
  type MeteredValues,
  meteredValuesDiffer,
  readLedgerChunk,
  readLedgerRows,
} from "./ledger-corrections.js";
export {
  addDays,
  DEFAULT_TIME_ZONE,
  dayBoundaries,
  isUtc,
  UnknownTimeZoneError,
} from "./ledger-reads/bounds.js";
export { type DashboardTotals, dashboardTotals } from "./ledger-reads/dashboard.js";
export type { UsageScope } from "./ledger-reads/parts.js";
export { planReads, type ReadPlan, type Span } from "./ledger-reads/plan.js";
export {
  type BreakdownKey,
  familyFor,
  GROUP_BYS,
  type GroupBy,
  type UsageFilter,
  type UsageTotals,
  usageBreakdown,
  usageByService,
} from "./ledger-reads/queries.js";
export { costNumber, countNumber, decimalString, idNumber } from "./ledger-reads/render.js";
export { type UnpricedModel, unpricedModels } from "./ledger-reads/unpriced.js";
export { deleteExpiredCaptures, type RetainedCapture, readRetainedCaptures } from "./retained-captures.js";
export {
  ROLLUP_LEVELS,
  type RollupDimension,
  type RollupFamily,
  type RollupGrain,
  type RollupLevel,
} from "./rollup-levels.js";
export { type RebuildResult, rebuildRollups } from "./rollup-rebuild.js";
export type { UsageRow, UsageSource } from "./usage-columns.js";
export { isRowDataError, type RecordUsageResult, recordUsage } from "./usage-ledger.js";
export {
  createUsagePartition,
  listUsagePartitions,
  maintainUsagePartitions,
  monthStart,
  partitionName,
  retentionCutoff,
  USAGE_DEFAULT_PARTITION,
  type UsagePartitionOptions,
  type UsagePartitionReport,
} from "./usage-partitions.js";
