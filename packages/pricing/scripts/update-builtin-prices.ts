import { writeFileSync } from "node:fs";
import { buildBuiltinTable, renderGeneratedPrices } from "./builtin-table.js";
import { PRICE_DATABASE_SOURCE, priceDatabaseProviders } from "./price-database.js";

/** `npm run prices:update`: regenerates src/builtin/generated-prices.ts from the pinned price database. */
const target = new URL("../src/builtin/generated-prices.ts", import.meta.url);
const { models, report } = buildBuiltinTable(priceDatabaseProviders(), PRICE_DATABASE_SOURCE);
if (report.unmatchedExtraNames.length > 0) {
  throw new Error(`curated names whose model is not priced: ${report.unmatchedExtraNames.join(", ")}`);
}
writeFileSync(target, renderGeneratedPrices(models, PRICE_DATABASE_SOURCE));

const total = Object.values(report.modelsPerProvider).reduce((a, b) => a + b, 0);
console.log(`wrote ${target.pathname}: ${total} models (the seed's and ${PRICE_DATABASE_SOURCE}'s)`);
console.log(
  `models per provider: ${JSON.stringify(report.modelsPerProvider)}; names: ${report.namesTaken} (${report.redundantNames} dated names left to the snapshot rule)`,
);
console.log(`without token prices (skipped): ${report.unpricedModels.join(", ") || "none"}`);
console.log(`standard-hours rate only: ${report.timeOfDayModels.join(", ") || "none"}`);
console.log(`names kept by an earlier provider: ${report.namesLostToEarlierProvider.length}`);
for (const line of report.namesLostToEarlierProvider) console.log(`  ${line}`);
