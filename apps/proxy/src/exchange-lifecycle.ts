import type { CaptureErrorCode } from "@tokenmeter/capture";

/**
 * The states of one exchange. `received`: a request with an id, nobody known yet. `authorised`: a known key
 * calling a known service — from here on the call becomes a capture whatever happens. `forwarded`: handed to
 * the upstream. `responding`: the upstream's status and headers are in. `finished`: the buyer got a whole
 * response and nothing went wrong; `failed`: anything else (a refusal, a cut, an abort).
 */
export type ExchangeState = "received" | "authorised" | "forwarded" | "responding" | "finished" | "failed";

/** Where each state may go next. A request refused before it was authorised ends `failed` without a capture. */
const NEXT: Readonly<Record<ExchangeState, readonly ExchangeState[]>> = {
  received: ["authorised", "failed"],
  authorised: ["forwarded", "failed"],
  forwarded: ["responding", "failed"],
  responding: ["finished", "failed"],
  finished: [],
  failed: [],
};

/**
 * The one rule for which error code a capture carries: a later code replaces an earlier one only when its rank
 * is higher; among equal ranks the first stays. Refusals happen before anything else can; cutting a call
 * (too large, a stalled body) is our decision, and what it causes next (the upstream request destroyed, the
 * response cut) is its consequence, never its cause. Everything else is an observation, and the first one
 * observed is what happened first.
 */
const ERROR_RANK: Readonly<Record<CaptureErrorCode, number>> = {
  invalid_path: 3,
  method_not_allowed: 3,
  rate_limited: 3,
  request_too_large: 2,
  request_timeout: 2,
  internal_error: 1,
  upstream_unreachable: 1,
  upstream_timeout: 1,
  upstream_aborted: 1,
  client_aborted: 1,
};

/** An exchange asked to go where its state does not lead: a bug in the wiring, never a buyer's doing. */
export class IllegalTransitionError extends Error {
  constructor(from: ExchangeState, to: ExchangeState) {
    super(`exchange cannot go from ${from} to ${to}`);
    this.name = "IllegalTransitionError";
  }
}

/** The state and error code of one exchange, with no I/O: every transition and the error rule in one place. */
export class ExchangeLifecycle {
  state: ExchangeState = "received";
  errorCode: CaptureErrorCode | undefined = undefined;

  /** Whether the exchange has ended (its capture, if it has one, is made). */
  get ended(): boolean {
    return this.state === "finished" || this.state === "failed";
  }

  /** Moves to `next`; throws when the current state does not lead there. */
  protected moveTo(next: ExchangeState): void {
    if (!NEXT[this.state].includes(next)) throw new IllegalTransitionError(this.state, next);
    this.state = next;
  }

  /**
   * Records why the call went wrong, by the rank rule; returns whether `code` became the exchange's code just
   * now (so what follows from it is done once). An ended exchange keeps its code: its capture is made.
   */
  recordError(code: CaptureErrorCode): boolean {
    if (this.ended) return false;
    const current = this.errorCode;
    if (current !== undefined && ERROR_RANK[code] <= ERROR_RANK[current]) return false;
    this.errorCode = code;
    return true;
  }

  /** The terminal state for a response that `completed` (or not): finished only for a clean, whole response. */
  protected terminalState(completed: boolean): ExchangeState {
    return completed && this.errorCode === undefined && this.state === "responding" ? "finished" : "failed";
  }
}
