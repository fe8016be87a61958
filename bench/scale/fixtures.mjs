// The scale bench's fixtures: empties the usage tables, replaces the loader's sellers, services, buyers, keys
// (hashes only) and model prices. Returns the ids the row generator needs.
import { permutation, prng } from "./catalog.mjs";

// The loader's own fixtures are marked by name, so a reload replaces them and leaves anything else in the
// database (another bench's seeded buyer, service and key) as it was.
const SELLER_NAME = "scale seller";
const BUYER_NAME = "scale buyer";
const SLUG = "scale-svc";
const PRICE_ORIGIN = "scale bench";

/** Empties the usage tables (rollup levels are found by name, so new levels are emptied too). */
async function truncateUsage(client) {
  const { rows } = await client.query(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'usage\\_%rollup%'",
  );
  const tables = ["usage_logs", "usage_captures", ...rows.map((r) => r.tablename)];
  await client.query(`TRUNCATE ${tables.map((t) => `"${t}"`).join(", ")} RESTART IDENTITY`);
}

/** Deletes the fixtures of an earlier load. */
async function deleteFixtures(client) {
  await client.query("DELETE FROM api_keys WHERE buyer_id IN (SELECT id FROM buyers WHERE name LIKE $1)", [
    `${BUYER_NAME} %`,
  ]);
  await client.query("DELETE FROM buyers WHERE name LIKE $1", [`${BUYER_NAME} %`]);
  await client.query("DELETE FROM api_services WHERE slug LIKE $1", [`${SLUG}-%`]);
  await client.query(
    "DELETE FROM seller_api_keys WHERE seller_id IN (SELECT id FROM sellers WHERE name LIKE $1)",
    [`${SELLER_NAME} %`],
  );
  await client.query(
    "DELETE FROM sellers s WHERE name LIKE $1 AND NOT EXISTS (SELECT 1 FROM api_services a WHERE a.seller_id = s.id)",
    [`${SELLER_NAME} %`],
  );
  await client.query("DELETE FROM model_prices WHERE origin = $1", [PRICE_ORIGIN]);
}

const ids = (result) => result.rows.map((r) => Number(r.id));

/**
 * Creates the marketplace. `sellers` sellers own the services round-robin; each service offers up to four
 * models; each buyer has one to three keys (the most popular fifty have four). Buyer popularity ranks are a
 * seeded permutation of the buyer ids, so the heaviest buyer is not simply id 1.
 */
export async function createFixtures(client, { buyers, services, catalog, sellers = 10, startMs, seed = 1 }) {
  const random = prng(seed);
  await truncateUsage(client);
  await deleteFixtures(client);
  const sellerIds = ids(
    await client.query(
      "INSERT INTO sellers (name) SELECT $2 || ' ' || g FROM generate_series(1, $1) g ORDER BY g RETURNING id",
      [sellers, SELLER_NAME],
    ),
  );
  const serviceIds = ids(
    await client.query(
      `INSERT INTO api_services (seller_id, name, slug, upstream_url)
       SELECT ($2::bigint[])[1 + (g - 1) % cardinality($2::bigint[])], 'Scale service ' || g, $3 || '-' || g,
              'https://api' || g || '.example.com'
       FROM generate_series(1, $1) g ORDER BY g RETURNING id`,
      [services, sellerIds, SLUG],
    ),
  );
  const priceIds = ids(
    await client.query(
      `INSERT INTO model_prices (model, source, origin, input_cost_per_1k, output_cost_per_1k,
         cached_input_cost_per_1k, cache_write_cost_per_1k, effective_from)
       SELECT m, 'custom', $7, i::numeric, o::numeric, c::numeric, w::numeric, $6
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(m, i, o, c, w, n)
       ORDER BY n RETURNING id`,
      [
        catalog.map((m) => m.name),
        catalog.map((m) => m.price.input),
        catalog.map((m) => m.price.output),
        catalog.map((m) => m.price.cached),
        catalog.map((m) => m.price.write),
        new Date(startMs - 86_400_000),
        PRICE_ORIGIN,
      ],
    ),
  );
  const buyerIds = ids(
    await client.query(
      "INSERT INTO buyers (name) SELECT $2 || ' ' || g FROM generate_series(1, $1) g ORDER BY g RETURNING id",
      [buyers, BUYER_NAME],
    ),
  );
  const byRank = permutation(buyers, random).map((i) => buyerIds[i]);
  const keyCount = (rank) => (rank < 50 ? 4 : 1 + (rank % 3));
  const owners = byRank.flatMap((id, rank) => Array.from({ length: keyCount(rank) }, () => id));
  // Only a hash is stored, as for real keys; these keys are never used to call (the bench issues its own).
  const keys = await client.query(
    `INSERT INTO api_keys (buyer_id, key_hash, prefix, name)
     SELECT b, encode(sha256(convert_to('scale-key-' || n || '-' || $2, 'UTF8')), 'hex'), 'tm_scale', 'key ' || n
     FROM unnest($1::bigint[]) WITH ORDINALITY AS t(b, n) ORDER BY n RETURNING id, buyer_id`,
    [owners, String(startMs)],
  );
  const keysOf = new Map();
  for (const row of keys.rows) {
    const list = keysOf.get(Number(row.buyer_id)) ?? [];
    list.push(Number(row.id));
    keysOf.set(Number(row.buyer_id), list);
  }
  const modelsPer = Math.min(4, catalog.length);
  return {
    sellerIds,
    priceIds,
    buyers: byRank.map((id) => ({ id, keyIds: keysOf.get(id) })),
    services: serviceIds.map((id, rank) => ({
      id,
      models: Array.from({ length: modelsPer }, (_, j) => (rank * 7 + j * 3) % catalog.length),
    })),
  };
}
