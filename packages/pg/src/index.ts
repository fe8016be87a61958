export { type BuyerKeyRecord, findBuyerKey, findServiceRoute, type ServiceRouteRecord } from "./api-keys.js";
export {
  createPgPool,
  type PgConnectionOptions,
  type PgPool,
  pgPoolConfig,
  queryRows,
  type RawQueryClient,
} from "./pg-pool.js";
export { requestTimeOf } from "./request-time.js";
