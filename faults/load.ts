import http from "node:http";

/** One answered call: our request id and when its answer was complete. */
interface Answer {
  requestId: string;
  at: number;
}

/** Steady load through the proxy: answered calls are what reconciliation expects rows for. */
export interface SteadyLoad {
  answers: Answer[];
  errors: number;
  /** Resolves the moment the next call is answered (to strike right after an answer went out). */
  nextAnswer(): Promise<void>;
  /** Stops issuing calls and waits for those in flight. */
  stop(): Promise<void>;
}

const BODY = JSON.stringify({ model: "gpt-3.5-turbo", messages: [{ role: "user", content: "hi" }] });

/**
 * `clients` loops, together about `ratePerS` calls per second, each POSTing to `target()` (re-read every call:
 * a restarted proxy listens on a new port). A call is answered when its whole 200 body arrived; anything else
 * (refused while the proxy is down, cut by a kill) is counted as an error and retried later, never expected.
 */
export function startLoad(target: () => string, key: string, clients: number, ratePerS: number): SteadyLoad {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const answers: Answer[] = [];
  let errors = 0;
  let running = true;
  let waiters: Array<() => void> = [];
  const gapMs = (1000 * clients) / ratePerS;
  const once = (url: string) =>
    new Promise<string | null>((resolve) => {
      const req = http.request(
        url,
        {
          method: "POST",
          agent,
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const id = res.headers["x-request-id"];
            resolve(res.statusCode === 200 && typeof id === "string" && res.complete ? id : null);
          });
          res.on("error", () => resolve(null));
        },
      );
      req.on("error", () => resolve(null));
      req.setTimeout(10_000, () => req.destroy());
      req.end(BODY);
    });
  const loop = async (i: number) => {
    let next = performance.now() + (gapMs * i) / clients;
    while (running) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next = Math.max(next + gapMs, performance.now());
      const id = await once(target());
      if (id) {
        answers.push({ requestId: id, at: Date.now() });
        const w = waiters;
        waiters = [];
        for (const resolve of w) resolve();
      } else {
        errors += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const loops = Array.from({ length: clients }, (_, i) => loop(i));
  return {
    answers,
    get errors() {
      return errors;
    },
    nextAnswer() {
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}
