export { type EnvSource, envVar, loadEnv, parseEnv, unsetIfEmpty } from "./env.js";
export { hasCode, type RuntimeErrorCode, type StatusByCode, TokenmeterError } from "./errors.js";
export {
  type Closer,
  installShutdown,
  type ShutdownHost,
  type ShutdownLogger,
  type ShutdownOptions,
} from "./shutdown.js";
export { withTimeout } from "./timeout.js";
