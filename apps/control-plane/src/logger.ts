import { type Logger, pino } from "pino";

/** The app's pino logger: JSON lines tagged `app: "control-plane"`, with secret-bearing fields redacted. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { app: "control-plane", pid: process.pid },
    // Nothing logs these on purpose; redaction is the safety net if an object slips through.
    redact: {
      paths: [
        "authorization",
        "headers.authorization",
        'headers["x-api-key"]',
        "req.headers.authorization",
        'req.headers["x-api-key"]',
        "upstream_headers",
        "upstreamHeaders",
        "*.upstream_headers",
        "*.upstreamHeaders",
        "key",
        "*.key",
      ],
      censor: "[redacted]",
    },
  });
}
