/// <reference path="./provided-context.d.ts" />
export { type RunningApp, startApp } from "./built-apps.js";
export { type PrivateRedis, type PrivateRedisOptions, startPrivateRedis } from "./private-redis.js";
export { startTcpRelay, type TcpRelay } from "./tcp-relay.js";
