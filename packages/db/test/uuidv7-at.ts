import { randomBytes } from "node:crypto";

/** A UUIDv7 whose timestamp is `ms` (what the proxy makes for a call received at that millisecond). */
export function uuidv7At(ms: number): string {
  const time = ms.toString(16).padStart(12, "0");
  const rand = randomBytes(10).toString("hex");
  const variant = ((Number.parseInt(rand[3] as string, 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${rand.slice(0, 3)}-${variant}${rand.slice(4, 7)}-${rand.slice(7, 19)}`;
}
