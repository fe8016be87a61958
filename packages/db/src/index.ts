export { createDbClient, type DbClient, type DbClientOptions } from "./client.js";
export {
  dropDatabase,
  ensureDatabase,
  migrateDatabase,
  PRISMA_DIR,
  prepareDatabase,
  runPrismaCli,
} from "./database-admin.js";
export { Prisma } from "./generated/prisma/client.js";
export { isRowDataError, type RecordUsageResult, recordUsage, type UsageRow } from "./usage-ledger.js";
