/**
 * The millisecond a UUIDv7 carries (its first 48 bits, Unix time in ms), or null when the id is not a version 7
 * UUID. The proxy names every call with a UUIDv7 and dates it with that same millisecond, so a usage row's
 * request_timestamp is a pure function of its request_id: `usage_logs` is partitioned by request_timestamp and
 * its unique key (request_id, request_timestamp) is then as unique as request_id alone.
 */
export function requestTimeOf(requestId: string): Date | null {
  if (requestId.length !== 36 || requestId[14] !== "7") return null;
  const hex = requestId.slice(0, 8) + requestId.slice(9, 13);
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return null;
  return new Date(Number.parseInt(hex, 16));
}
