// Storage of the usage tables: bytes per usage_logs row for the table and its indexes, each index's size, and
// the rollup levels. Partitioned tables and indexes are summed over their partitions.

// The relation itself when it is plain, its leaf partitions when it is partitioned (pg_partition_tree returns
// no rows for a relation that is neither partitioned nor a partition).
const leaves = (rel) => `(SELECT relid FROM pg_partition_tree(${rel}) WHERE isleaf
  UNION ALL SELECT (${rel})::regclass WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree(${rel})))`;

/** { rows, table, toast, indexes: [{ name, bytes }], indexBytes, total, rollups: [{ name, bytes, rows }] } */
export async function measureStorage(client) {
  const sum = async (sql, params) => Number((await client.query(sql, params)).rows[0].bytes ?? 0);
  const rows = Number((await client.query("SELECT count(*)::bigint AS n FROM usage_logs")).rows[0].n);
  const table = await sum(
    `SELECT sum(pg_relation_size(relid, 'main') + pg_relation_size(relid, 'fsm') + pg_relation_size(relid, 'vm'))::bigint AS bytes
     FROM ${leaves("'usage_logs'::regclass")} t`,
  );
  const toast = await sum(
    `SELECT coalesce(sum(pg_total_relation_size(c.reltoastrelid)), 0)::bigint AS bytes
     FROM ${leaves("'usage_logs'::regclass")} t JOIN pg_class c ON c.oid = t.relid WHERE c.reltoastrelid <> 0`,
  );
  const { rows: indexRows } = await client.query(
    `SELECT i.indexrelid::regclass::text AS name,
       (SELECT sum(pg_relation_size(relid)) FROM ${leaves("i.indexrelid")} t)::bigint AS bytes
     FROM pg_index i WHERE i.indrelid = 'usage_logs'::regclass ORDER BY 2 DESC`,
  );
  const indexes = indexRows.map((r) => ({ name: r.name, bytes: Number(r.bytes ?? 0) }));
  const indexBytes = indexes.reduce((a, i) => a + i.bytes, 0);
  const { rows: levels } = await client.query(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'usage\\_%rollup%' ORDER BY 1",
  );
  const rollups = [];
  for (const { tablename } of levels) {
    const r = await client.query(
      `SELECT (SELECT sum(pg_total_relation_size(relid)) FROM ${leaves("$1::regclass")} t)::bigint AS bytes,
         (SELECT count(*) FROM "${tablename}")::bigint AS rows`,
      [tablename],
    );
    rollups.push({ name: tablename, bytes: Number(r.rows[0].bytes), rows: Number(r.rows[0].rows) });
  }
  return { rows, table, toast, indexes, indexBytes, total: table + toast + indexBytes, rollups };
}

const mb = (b) => `${(b / 1048576).toFixed(0)} MB`;
const perRow = (b, rows) => (rows > 0 ? (b / rows).toFixed(0) : "-");

/** Lines for the report. */
export function storageLines(s) {
  const lines = [
    `storage: usage_logs ${s.rows.toLocaleString("en-US")} rows, ${mb(s.total)} = ${perRow(s.total, s.rows)} bytes/row ` +
      `(table ${perRow(s.table + s.toast, s.rows)}, indexes ${perRow(s.indexBytes, s.rows)})`,
  ];
  for (const i of s.indexes)
    lines.push(
      `  index ${i.name.padEnd(40)} ${mb(i.bytes).padStart(8)}  ${perRow(i.bytes, s.rows).padStart(4)} bytes/row`,
    );
  for (const r of s.rollups)
    lines.push(
      `  rollup ${r.name.padEnd(39)} ${mb(r.bytes).padStart(8)}  ${r.rows.toLocaleString("en-US")} rows`,
    );
  return lines;
}
