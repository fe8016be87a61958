// Turns one pino JSON line into "HH:MM:SS app   LEVEL message key=value…" for a terminal.
const LEVELS = { 10: "TRACE", 20: "DEBUG", 30: "INFO ", 40: "WARN ", 50: "ERROR", 60: "FATAL" };
const COLORS = { 40: "\x1b[33m", 50: "\x1b[31m", 60: "\x1b[31m" };
const tty = process.stdout.isTTY;

export function formatLogLine(app, line) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${app.padEnd(13)} ${line}`;
  }
  if (typeof entry !== "object" || entry === null) return `${app.padEnd(13)} ${line}`;
  const { level, time, msg, pid, hostname, app: _app, ...rest } = entry;
  const t = new Date(time ?? Date.now()).toISOString().slice(11, 19);
  const extras = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const lvl = LEVELS[level] ?? String(level);
  const color = tty ? (COLORS[level] ?? "") : "";
  return `${t} ${app.padEnd(13)} ${color}${lvl}${color ? "\x1b[0m" : ""} ${msg ?? ""}${extras ? ` ${extras}` : ""}`;
}
