// Load generation: wrk (C, light on the 2 cores) when installed, else autocannon in its own process.
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { cpuMeter, machineMeter, spawnChild } from "./proc.mjs";

const require = createRequire(import.meta.url);

function onPath(bin) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, bin), fs.constants.X_OK);
      return path.join(dir, bin);
    } catch {
      // not here
    }
  }
  return null;
}

/** Which load tool to use: BENCH_TOOL=wrk|autocannon forces one; otherwise wrk if on PATH. Installs nothing. */
export function chooseLoadTool() {
  const forced = process.env.BENCH_TOOL;
  const wrk = onPath("wrk");
  if (forced === "autocannon") return { name: "autocannon", reason: "BENCH_TOOL=autocannon" };
  if (forced === "wrk" && !wrk)
    throw new Error("BENCH_TOOL=wrk but wrk is not on PATH (apt-get install -y wrk)");
  if (wrk) return { name: "wrk", path: wrk, reason: "wrk found on PATH" };
  return {
    name: "autocannon",
    reason: "wrk not found (apt-get install -y wrk for a lighter load generator)",
  };
}

/** Version string of the tool, for the summary. */
export async function loadToolVersion(tool) {
  if (tool.name === "autocannon") return `autocannon ${require("autocannon/package.json").version}`;
  const r = spawnChild("wrk -v", tool.path, ["-v"]);
  await r.exited;
  const m = /wrk\s+(\S+)/.exec(r.lines.join("\n"));
  return m ? `wrk ${m[1]}` : "wrk";
}

const luaString = (s) => {
  let eq = "=";
  while (s.includes(`]${eq}]`)) eq += "=";
  return `[${eq}[${s}]${eq}]`;
};

function wrkScript({ method, headers, body }) {
  const lines = [`wrk.method = ${luaString(method)}`];
  if (body !== undefined) lines.push(`wrk.body = ${luaString(body)}`);
  for (const [k, v] of Object.entries(headers))
    lines.push(`wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`);
  lines.push(
    "done = function(summary, latency, requests)",
    "  local e = summary.errors",
    '  io.write(string.format("BENCH_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,' +
      '\\"p50_us\\":%d,\\"p90_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d,\\"mean_us\\":%.1f,' +
      '\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d}\\n",',
    "    summary.requests, summary.duration, summary.bytes,",
    "    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,",
    "    e.connect, e.read, e.write, e.status, e.timeout))",
    "end",
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Runs one load test and returns { tool, requests, bytes (received), seconds, rps, p50Ms, p90Ms, p99Ms, socketErrors, non2xx,
 * cpu, machineCpu }. `cpu` holds the CPU % (100 = one core) of the load generator and of `watchPids` over the
 * middle of the run; `machineCpu` the whole machine's (other people's processes included).
 */
export async function runLoad(tool, opts) {
  const { url, connections, durationS, method = "POST", headers = {}, body, tmpDir, watchPids = [] } = opts;
  let record;
  if (tool.name === "wrk") {
    const script = path.join(tmpDir, `wrk-${process.pid}-${Date.now()}.lua`);
    fs.writeFileSync(script, wrkScript({ method, headers, body }));
    const threads = Math.max(1, Math.min(connections, Number(process.env.BENCH_WRK_THREADS ?? 1)));
    record = spawnChild("wrk", tool.path, [
      `-t${threads}`,
      `-c${connections}`,
      `-d${durationS}s`,
      "--timeout",
      "10s",
      "-s",
      script,
      url,
    ]);
  } else {
    const args = [
      require.resolve("autocannon"),
      "-c",
      String(connections),
      "-d",
      String(durationS),
      "-m",
      method,
      "-j",
      "-n",
    ];
    for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}=${v}`);
    if (body !== undefined) args.push("-b", body);
    args.push(url);
    record = spawnChild("autocannon", process.execPath, args);
  }
  // CPU of the load tool and the processes under test, sampled inside the run (the tool is gone afterwards).
  let cpu = null;
  let machineCpu = null;
  const edge = Math.min(1, durationS / 5);
  const sampler = setTimeout(() => {
    const stop = cpuMeter([record.pid, ...watchPids]);
    const stopMachine = machineMeter(os.cpus().length);
    const end = setTimeout(
      () => {
        cpu = stop();
        machineCpu = stopMachine();
      },
      (durationS - 2 * edge) * 1000,
    );
    record.exited.then(() => clearTimeout(end));
  }, edge * 1000);
  const { code, signal } = await record.exited;
  clearTimeout(sampler);
  const output = record.lines.join("\n");
  if (code !== 0) throw new Error(`${tool.name} failed (${signal ?? code}):\n${output}`);

  if (tool.name === "wrk") {
    const line = record.lines.find((l) => l.startsWith("BENCH_JSON "));
    if (!line) throw new Error(`could not parse wrk output:\n${output}`);
    const r = JSON.parse(line.slice("BENCH_JSON ".length));
    const seconds = r.duration_us / 1e6;
    return {
      tool: "wrk",
      requests: r.requests,
      bytes: r.bytes,
      seconds,
      rps: r.requests / seconds,
      p50Ms: r.p50_us / 1000,
      p90Ms: r.p90_us / 1000,
      p99Ms: r.p99_us / 1000,
      socketErrors: r.connect + r.read + r.write + r.timeout,
      non2xx: r.status,
      cpu,
      machineCpu,
    };
  }
  let r;
  try {
    r = JSON.parse(record.stdout.trim().split("\n").pop());
  } catch {
    throw new Error(`could not parse autocannon output:\n${output}`);
  }
  const requests = r.requests.total ?? Math.round(r.requests.average * r.duration);
  return {
    tool: "autocannon",
    requests,
    bytes: r.throughput?.total ?? null,
    seconds: r.duration,
    rps: requests / r.duration,
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    socketErrors: (r.errors ?? 0) + (r.timeouts ?? 0),
    non2xx: r.non2xx ?? 0,
    cpu,
    machineCpu,
  };
}
