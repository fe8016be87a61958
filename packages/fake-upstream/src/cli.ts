#!/usr/bin/env node
import { startFakeUpstream } from "./fake-upstream.js";

// Runs the fake provider on its own (benchmarks, trying tokenmeter by hand): PORT (default 9090).
const port = Number(process.argv[2] ?? 9090);
const upstream = await startFakeUpstream(port);
process.stdout.write(
  `${JSON.stringify({ msg: "listening", app: "fake-upstream", port: upstream.port, url: upstream.url })}\n`,
);
process.on("SIGTERM", () => void upstream.close().then(() => process.exit(0)));
process.on("SIGINT", () => void upstream.close().then(() => process.exit(0)));
