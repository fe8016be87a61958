import { describe, expect, it } from "vitest";
import { ExchangeLifecycle, type ExchangeState, IllegalTransitionError } from "./exchange-lifecycle.js";

/** The lifecycle with its transitions opened up, as the exchange drives them. */
class Probe extends ExchangeLifecycle {
  go(next: ExchangeState): this {
    this.moveTo(next);
    return this;
  }
  end(completed: boolean): this {
    this.moveTo(this.terminalState(completed));
    return this;
  }
}

const forwarded = () => new Probe().go("authorised").go("forwarded");

describe("exchange lifecycle", () => {
  it("goes received → authorised → forwarded → responding → finished for a clean call", () => {
    const x = new Probe();
    const seen: ExchangeState[] = [x.state];
    for (const next of ["authorised", "forwarded", "responding"] as const) seen.push(x.go(next).state);
    seen.push(x.end(true).state);
    expect(seen).toEqual(["received", "authorised", "forwarded", "responding", "finished"]);
    expect(x.ended).toBe(true);
    expect(x.errorCode).toBeUndefined();
  });

  it("ends failed when the response did not complete, carried an error, or never came from the upstream", () => {
    expect(forwarded().go("responding").end(false).state).toBe("failed");
    const withError = forwarded().go("responding");
    withError.recordError("upstream_aborted");
    expect(withError.end(true).state).toBe("failed");
    // A refusal we answered ourselves completes its response, yet the call failed.
    const refused = new Probe().go("authorised");
    refused.recordError("rate_limited");
    expect(refused.end(true).state).toBe("failed");
    expect(forwarded().end(true).state).toBe("failed");
  });

  it("refuses transitions the states do not lead to", () => {
    const illegal: [ExchangeState[], ExchangeState][] = [
      [[], "forwarded"], // forwarding an unauthorised call
      [[], "responding"],
      [["authorised"], "authorised"], // authorising twice
      [["authorised"], "responding"], // a response to a call never forwarded
      [["authorised", "forwarded", "responding"], "forwarded"], // backwards
      [["authorised", "forwarded", "responding", "finished"], "failed"], // ending twice
      [["failed"], "authorised"], // a rejected request authorised after all
    ];
    for (const [path, next] of illegal) {
      const x = new Probe();
      for (const step of path) x.go(step);
      const from = x.state;
      expect(() => x.go(next), `${from} → ${next}`).toThrow(IllegalTransitionError);
      expect(x.state).toBe(from);
    }
  });

  it("keeps the first error of equal rank: what was observed first is what happened", () => {
    const x = forwarded();
    expect(x.recordError("client_aborted")).toBe(true);
    expect(x.recordError("upstream_aborted")).toBe(false);
    expect(x.recordError("internal_error")).toBe(false);
    expect(x.errorCode).toBe("client_aborted");
  });

  it("lets our own decision to cut a call outrank what the cut causes, never the reverse", () => {
    const cut = forwarded();
    expect(cut.recordError("request_timeout")).toBe(true);
    // Destroying the upstream request makes http-proxy report it as unreachable: a consequence.
    expect(cut.recordError("upstream_unreachable")).toBe(false);
    expect(cut.errorCode).toBe("request_timeout");

    const late = forwarded();
    late.recordError("upstream_unreachable");
    expect(late.recordError("request_too_large")).toBe(true);
    expect(late.errorCode).toBe("request_too_large");
    expect(late.recordError("request_timeout")).toBe(false);
    expect(late.recordError("request_too_large")).toBe(false); // once: what follows from it is done once

    const stalled = forwarded();
    stalled.recordError("upstream_aborted");
    expect(stalled.recordError("request_timeout")).toBe(true);
    expect(stalled.recordError("rate_limited")).toBe(true); // refusals outrank everything (they come first)
  });

  it("never changes the error of an ended exchange (its capture is made)", () => {
    const x = forwarded().go("responding").end(false);
    expect(x.recordError("request_too_large")).toBe(false);
    expect(x.errorCode).toBeUndefined();
  });
});
