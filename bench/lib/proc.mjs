// Child processes for the benchmark: spawn, wait for the listening port, measure CPU, stop (and stop all on exit).
import { spawn } from "node:child_process";
import fs from "node:fs";

/** Every child still running, so Ctrl-C and errors can stop them all. */
const running = new Set();

/**
 * Spawns a child with piped output. Keeps its last lines (for error messages) and lets callers watch lines.
 * `record.exited` resolves with { code, signal } when it ends.
 */
export function spawnChild(name, command, args, { env = process.env, cwd, keepLines = 200 } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const record = { name, child, pid: child.pid, lines: [], stdout: "", watchers: new Set(), exited: null };
  record.exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(record);
      resolve({ code, signal });
    });
    child.once("error", (error) => {
      running.delete(record);
      record.lines.push(`spawn error: ${error.message}`);
      resolve({ code: -1, signal: null, error });
    });
  });
  running.add(record);
  const feed = (stream, keepStdout) => {
    let buf = "";
    stream.on("data", (d) => {
      const text = d.toString();
      if (keepStdout) record.stdout += text;
      buf += text;
      let nl = buf.indexOf("\n");
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        record.lines.push(line);
        if (record.lines.length > keepLines) record.lines.shift();
        for (const w of record.watchers) w(line);
        nl = buf.indexOf("\n");
      }
    });
  };
  feed(child.stdout, true);
  feed(child.stderr, false);
  return record;
}

/** TCP ports a process is listening on, read from /proc (Linux): its socket inodes matched to LISTEN rows. */
function procListeningPorts(pid) {
  let inodes;
  try {
    inodes = new Set();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = fs.readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const row of text.split("\n").slice(1)) {
      const f = row.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9])) continue;
      ports.push(Number.parseInt(f[1].split(":")[1], 16));
    }
  }
  return ports;
}

/**
 * Waits for the child's port: from a JSON log line `{"msg":"listening","port":N}` (fake upstream, bare proxy,
 * apps at LOG_LEVEL=info) or, when the app logs at warn and prints no such line, from /proc.
 */
export function waitForPort(record, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error, port) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      record.watchers.delete(onLine);
      if (error) reject(error);
      else resolve(port);
    };
    const onLine = (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === "listening" && typeof entry.port === "number") finish(null, entry.port);
      } catch {
        // not JSON
      }
    };
    for (const line of record.lines) onLine(line);
    record.watchers.add(onLine);
    // A node:cluster primary listens itself (round-robin) or leaves it to its workers (reusePort).
    const poll = setInterval(() => {
      for (const pid of [record.pid, ...childPids(record.pid)]) {
        const ports = procListeningPorts(pid);
        if (ports.length > 0) return finish(null, ports[0]);
      }
    }, 100);
    const timer = setTimeout(
      () =>
        finish(
          new Error(`${record.name} did not listen within ${timeoutMs} ms:\n${record.lines.join("\n")}`),
        ),
      timeoutMs,
    );
    record.exited.then(({ code, signal }) =>
      finish(
        new Error(`${record.name} exited (${signal ?? code}) before listening:\n${record.lines.join("\n")}`),
      ),
    );
  });
}

/** Stops a child: the signal, then SIGKILL after `graceMs`. Resolves once it has exited. */
export async function stopChild(record, signal = "SIGTERM", graceMs = 8000) {
  if (!record || record.child.exitCode !== null || record.child.signalCode !== null) return;
  try {
    record.child.kill(signal);
  } catch {
    return;
  }
  let timer;
  const killed = new Promise((resolve) => {
    timer = setTimeout(() => {
      try {
        record.child.kill("SIGKILL");
      } catch {
        // already gone
      }
      resolve();
    }, graceMs);
  });
  await Promise.race([record.exited, killed]);
  clearTimeout(timer);
  await record.exited;
}

/** Stops every child still running (cleanup on error or Ctrl-C). */
export async function stopAllChildren(signal = "SIGTERM") {
  await Promise.all([...running].map((r) => stopChild(r, signal)));
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null when unavailable. */
export function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ", field 3 (state) is index 0: utime is field 14 → index 11, stime field 15 → index 12.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Samples the CPU use of some processes over an interval: call the returned function at the end. */
export function cpuMeter(pids) {
  const start = performance.now();
  const before = pids.map((pid) => cpuSeconds(pid));
  return () => {
    const seconds = (performance.now() - start) / 1000;
    return pids.map((pid, i) => {
      const now = cpuSeconds(pid);
      return now === null || before[i] === null ? null : (100 * (now - before[i])) / seconds;
    });
  };
}

function machineTicks() {
  try {
    const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/** Whole-machine CPU use over an interval, in % of one core (200 = both cores of a 2-core machine busy). */
export function machineMeter(cores) {
  const before = machineTicks();
  return () => {
    const after = machineTicks();
    if (!before || !after || after.total === before.total) return null;
    return 100 * cores * (1 - (after.idle - before.idle) / (after.total - before.total));
  };
}

/** A process's memory from /proc/<pid>/status, in bytes: { rss (VmRSS), hwm (VmHWM, its peak RSS) }, or null. */
export function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { rss: kb("VmRSS") * 1024, hwm: kb("VmHWM") * 1024 };
  } catch {
    return null;
  }
}

/** The pids of a process's children (direct ones), from /proc/<pid>/task/<pid>/children. */
export function childPids(pid) {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
