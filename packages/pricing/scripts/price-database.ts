import { readFileSync } from "node:fs";
import { findProvider, type Provider } from "@pydantic/genai-prices";
import { PROVIDERS } from "./builtin-table.js";

/** The pinned price database release; the update script refuses any other installed version. */
const PINNED = { name: "@pydantic/genai-prices", version: "0.1.8", released: "2026-09-23" } as const;

/** Names the data in origins: package, version and release date. */
export const PRICE_DATABASE_SOURCE = `${PINNED.name} ${PINNED.version} (${PINNED.released})`;

/** The pinned price database's providers that the built-in table covers, in precedence order. */
export function priceDatabaseProviders(): Provider[] {
  const packageJson = new URL("../package.json", import.meta.resolve(PINNED.name));
  const { version } = JSON.parse(readFileSync(packageJson, "utf8")) as { version: string };
  if (version !== PINNED.version) {
    throw new Error(`${PINNED.name} ${version} is installed; the table is pinned to ${PINNED.version}`);
  }
  return PROVIDERS.map((id) => {
    const provider = findProvider({ providerId: id });
    if (provider === undefined) throw new Error(`${PINNED.name} has no provider ${id}`);
    return provider;
  });
}
