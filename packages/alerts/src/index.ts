export { ALERT_EVALUATION_QUEUE, ALERT_SCHEDULER_ID, ALERT_WEBHOOK_QUEUE } from "./queues.js";
export {
  ALERT_KINDS,
  ALERT_RULE_SCHEMAS,
  type AlertKind,
  type AlertParams,
  type AlertRuleConfig,
  isAlertKind,
  parseAlertParams,
  resolveAlertRules,
} from "./rules.js";
export { ALERT_SIGNATURE_HEADER, type AlertEvent, signAlertBody, verifyAlertSignature } from "./webhook.js";
