// Number formatting and console output shared by the phases.

export const log = (...a) => console.log(...a);
export const step = (s) => log(`\n▸ ${s}`);
export const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
export const fmtMs = (n) => `${n.toFixed(2)} ms`;
export const pct = (x) => `${(100 * x).toFixed(1)} %`;
export const fmtCpu = (v) => (v === null || v === undefined ? "  -" : `${Math.round(v)}`.padStart(3));
export const pad = (s, n) => String(s).padEnd(n);
export const lpad = (s, n) => String(s).padStart(n);
export const fmtMiB = (bytes) => `${(bytes / 1048576).toFixed(0)} MiB`;

/** The pth percentile (0–100) of numbers, nearest rank; null for none. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
