// Creates the database if missing and applies Prisma migrations. Needs `npm run build` first.
import { DEFAULT_DATABASE_URL, requireServices } from "./lib/services.mjs";

const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
await requireServices(databaseUrl, process.env.REDIS_URL || "redis://127.0.0.1:6379");
const { prepareDatabase } = await import("@tokenmeter/db");
const { created } = await prepareDatabase(databaseUrl);
console.log(`database ${created ? "created and " : ""}migrated: ${new URL(databaseUrl).pathname.slice(1)}`);
