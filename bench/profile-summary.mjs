#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): self time by module and by function, and inclusive time of
// the heaviest functions. Usage: node bench/profile-summary.mjs FILE.cpuprofile [TOP=25]
import fs from "node:fs";

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!file) {
  console.error("usage: node bench/profile-summary.mjs FILE.cpuprofile [TOP]");
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function moduleOf(url, name) {
  if (!url) return name.startsWith("(") ? name : "(native)";
  if (url.startsWith("node:"))
    return url
      .replace(/^node:(internal\/)?/, "node:")
      .split("/")
      .slice(0, 2)
      .join("/");
  const nm = url.lastIndexOf("node_modules/");
  if (nm !== -1) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/(apps|packages)\/([^/]+)\//.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  return url.split("/").slice(-2).join("/");
}
const keyOf = (n) => {
  const f = n.callFrame;
  const where = f.url
    ? `${f.url.replace(/^file:\/\/.*?(node_modules\/|apps\/|packages\/)/, "$1")}:${f.lineNumber + 1}`
    : "";
  return `${f.functionName || "(anonymous)"} ${where}`.trim();
};

const self = new Map();
const byModule = new Map();
const inclusive = new Map();
let total = 0;
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) {
  const dt = (timeDeltas[i] ?? 0) / 1000; // ms
  total += dt;
  const leaf = nodes.get(samples[i]);
  const k = keyOf(leaf);
  self.set(k, (self.get(k) ?? 0) + dt);
  const mod = moduleOf(leaf.callFrame.url, leaf.callFrame.functionName);
  byModule.set(mod, (byModule.get(mod) ?? 0) + dt);
  const seen = new Set();
  for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
    const key = keyOf(nodes.get(id));
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
}
const idle = byModule.get("(idle)") ?? 0;
const busy = total - idle;
const show = (title, map, n, base) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`  ${((100 * v) / base).toFixed(1).padStart(5)} %  ${v.toFixed(0).padStart(7)} ms  ${k}`);
  }
};
console.log(
  `${file}: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)} %)`,
);
show("self time by module (% of busy)", new Map([...byModule].filter(([k]) => k !== "(idle)")), top, busy);
show(
  "self time by function (% of busy)",
  new Map([...self].filter(([k]) => !k.startsWith("(idle)"))),
  top,
  busy,
);
show(
  "inclusive time by function (% of busy)",
  new Map([...inclusive].filter(([k]) => !k.startsWith("(root)") && !k.startsWith("(idle)"))),
  top,
  busy,
);
