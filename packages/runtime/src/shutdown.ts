import { withTimeout } from "./timeout.js";

/** What the runner logs with: pino's logger fits. */
export interface ShutdownLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One thing to close on the way out. */
export interface Closer {
  name: string;
  close: () => unknown;
  /** Longest wait for this closer; past it the runner logs and moves on to the next one. */
  timeoutMs?: number;
}

/** The process the runner listens to and ends; a test passes a stand-in. */
export interface ShutdownHost {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export interface ShutdownOptions {
  logger: ShutdownLogger;
  /** Closed one after the other, in this order (stop accepting first, the connections they used last). */
  closers: readonly Closer[];
  /** Timeout of a closer that names none. */
  defaultTimeoutMs?: number;
  signals?: readonly NodeJS.Signals[];
  /** Logged with the first signal, e.g. what is being drained. */
  message?: string;
  /**
   * A second signal this soon after the first is the same request, not an insistence: a terminal's Ctrl-C
   * reaches the whole process group, and a supervisor (npm start, the proxy's primary) passes it on as SIGTERM.
   */
  echoMs?: number;
  host?: ShutdownHost;
}

/**
 * Installs the one shutdown path of an app. The first SIGINT/SIGTERM closes every closer in order, each with
 * its own timeout (a stuck closer is logged and skipped, never blocks the rest), then exits 0 — or 1 when a
 * closer failed or timed out. A second signal exits 1 at once: the person pressing Ctrl-C twice means it
 * (one that follows the first within `echoMs` is the same signal passed on, and ignored).
 * Returns the same path as a function, for callers that stop for another reason.
 */
export function installShutdown(options: ShutdownOptions): (reason: string) => Promise<void> {
  const host: ShutdownHost = options.host ?? process;
  const { logger, closers } = options;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const echoMs = options.echoMs ?? 1000;
  let running: Promise<void> | undefined;
  let firstAt = 0;

  const shutdown = (reason: string): Promise<void> => {
    if (!running) firstAt = Date.now();
    running ??= (async () => {
      logger.info({ signal: reason }, options.message ?? "shutting down");
      let clean = true;
      for (const closer of closers) {
        const ms = closer.timeoutMs ?? defaultTimeoutMs;
        try {
          await withTimeout(Promise.resolve().then(closer.close), ms, `closing ${closer.name}`);
        } catch (err) {
          clean = false;
          logger.error({ err, closer: closer.name }, "did not close cleanly");
        }
      }
      logger.info({ clean }, "stopped");
      host.exit(clean ? 0 : 1);
    })();
    return running;
  };

  for (const signal of options.signals ?? (["SIGINT", "SIGTERM"] as const)) {
    host.on(signal, () => {
      if (running) {
        if (Date.now() - firstAt < echoMs) return;
        logger.warn({ signal }, "second signal: exiting without waiting");
        host.exit(1);
        return;
      }
      void shutdown(signal);
    });
  }
  return shutdown;
}
