// Open-loop-ish steady load from the bench process: `clients` loops, each calling at its share of `rate`, over
// keep-alive connections. Keeps the request id and the end time of every answered call.
import http from "node:http";

/** The wall clock in epoch ms with sub-millisecond precision (comparable with PostgreSQL's now()). */
export const epochMs = () => performance.timeOrigin + performance.now();

/** Calls at about `rate`/s from `clients` loops; `answered` holds request ids, `ends` their end times. */
export function steadyLoad(url, headers, body, clients, rate) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const answered = [];
  const ends = [];
  let errors = 0;
  let running = true;
  const gap = (1000 * clients) / rate;
  const once = () =>
    new Promise((resolve) => {
      const req = http.request(url, { method: "POST", agent, headers }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200 ? res.headers["x-request-id"] : null));
        res.on("error", () => resolve(null));
      });
      req.on("error", () => resolve(null));
      req.end(body);
    });
  const loop = async (i) => {
    let next = performance.now() + (gap * i) / clients;
    while (running) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next = Math.max(next + gap, performance.now());
      const id = await once();
      if (id) {
        answered.push(id);
        ends.push(epochMs());
      } else errors += 1;
    }
  };
  const loops = Array.from({ length: clients }, (_, i) => loop(i));
  let stopped = null;
  return {
    answered,
    ends,
    get errors() {
      return errors;
    },
    stop() {
      running = false;
      stopped ??= Promise.all(loops).then(() => agent.destroy());
      return stopped;
    },
  };
}
