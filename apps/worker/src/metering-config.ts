import type { Capture } from "@tokenmeter/capture";
import {
  type ConfigTopic,
  type ConfigVersions,
  type DbClient,
  type PgPool,
  readConfigVersions,
} from "@tokenmeter/db";
import {
  DEFAULT_SERVICE_SETTINGS,
  loadPriceBook,
  loadServiceSettings,
  loadUsageRules,
  type MeteringContext,
  rulesFor,
  type ScopedUsageRule,
  type ServiceSettings,
} from "@tokenmeter/metering";
import { PriceBook } from "@tokenmeter/pricing";
import { RecheckLimiter } from "./recheck-limiter.js";
import { RefreshingValue } from "./refreshing-value.js";

/** How the worker keeps what metering reads up to date. */
export interface MeteringConfigOptions {
  /** Periodic reload of everything (the safety net behind notifications). */
  refreshMs: number;
  /** Shortest time between two re-reads for the same missing model or service (the negative cache). */
  missRecheckMs: number;
  onError: (what: string, error: unknown) => void;
  /** Where the change counters are read before each batch (default: the Prisma client). */
  counters?: PgPool;
  /** A change was found by its counter before its announcement arrived (or with no announcement at all). */
  onCaughtUp?: (topic: ConfigTopic) => void;
  /** A table is re-read for a model without a price ("prices") or an unknown service ("services"). */
  onMissReread?: (table: "prices" | "services") => void;
}

/**
 * Prices, operators' rules and services' settings as the worker meters with them. A change announced by the
 * control plane (`invalidate`) is loaded before the next capture is metered; a model without a price or an
 * unknown service makes one re-read per interval before the row is written as it is.
 *
 * An announcement can arrive after a call that was made once its change had committed (the NOTIFY and the
 * capture travel separately), so before a batch is metered `catchUp` reads the change counters — one query
 * shared by every batch that starts while it runs — and reloads whatever moved past what was applied.
 */
export class MeteringConfig {
  readonly prices: RefreshingValue<PriceBook>;
  readonly rules: RefreshingValue<ScopedUsageRule[]>;
  readonly services: RefreshingValue<Map<number, ServiceSettings>>;
  /** The change counters; read on demand only (no periodic reload). */
  readonly versions: RefreshingValue<ConfigVersions>;
  /** The counter each topic's loaded value includes at least. */
  private readonly applied = new Map<ConfigTopic, bigint>();
  private readonly misses: RecheckLimiter;
  private lastCountersError: unknown = null;

  constructor(
    db: DbClient,
    private readonly options: MeteringConfigOptions,
  ) {
    const warn = (what: string) => (error: unknown) => options.onError(what, error);
    this.prices = new RefreshingValue(
      () =>
        loadPriceBook(db, (id, message) =>
          options.onError("prices", new Error(`price row ${String(id)} left out: ${message}`)),
        ),
      new PriceBook([]),
      options.refreshMs,
      warn("prices"),
    );
    this.rules = new RefreshingValue<ScopedUsageRule[]>(
      () => loadUsageRules(db),
      [],
      options.refreshMs,
      warn("usage rules"),
    );
    this.services = new RefreshingValue(
      () => loadServiceSettings(db),
      new Map(),
      options.refreshMs,
      warn("service settings"),
    );
    this.versions = new RefreshingValue<ConfigVersions>(
      () => readConfigVersions(options.counters ?? db),
      new Map(),
      options.refreshMs,
      warn("configuration counters"),
    );
    this.misses = new RecheckLimiter(options.missRecheckMs);
  }

  /** Reads the counters, then everything (so what is loaded includes at least those counters). */
  async start(): Promise<void> {
    await this.versions.reload();
    for (const [topic, version] of this.versions.current()) this.applied.set(topic, version);
    await Promise.all([this.prices.start(), this.rules.start(), this.services.start()]);
  }

  stop(): void {
    this.prices.stop();
    this.rules.stop();
    this.services.stop();
  }

  /**
   * A change was announced ("all": the listener (re)connected and may have missed some). `version` is the
   * counter the change set: the reload this starts, begun after its commit, includes it.
   */
  invalidate(topic: ConfigTopic | "all", version?: bigint): void {
    if (topic !== "all" && version !== undefined) this.markApplied(topic, version);
    if (topic === "prices" || topic === "all") this.prices.invalidate();
    if (topic === "rules" || topic === "all") this.rules.invalidate();
    if (topic === "services" || topic === "all") this.services.invalidate();
  }

  /**
   * Before metering a batch the worker received at `since` (performance.now()): every change committed before
   * then is loaded before `contextFor` answers, announced or not. A failed read is reported and metering goes
   * on with what is loaded (the announcements and the periodic reload remain).
   */
  async catchUp(since: number): Promise<void> {
    try {
      await this.versions.loadedSince(since);
    } catch (error) {
      // The batches waiting on one failed read share its error: reported once.
      if (error !== this.lastCountersError) this.options.onError("configuration counters", error);
      this.lastCountersError = error;
      return;
    }
    for (const [topic, version] of this.versions.current()) {
      if (!this.markApplied(topic, version)) continue;
      this.options.onCaughtUp?.(topic);
      this.invalidate(topic);
    }
  }

  /** What metering this capture reads, with every announced change applied. */
  async contextFor(capture: Capture): Promise<MeteringContext & { service: ServiceSettings }> {
    const [prices, rules, service] = await Promise.all([
      this.prices.fresh(),
      this.rules.fresh(),
      this.serviceSettings(capture.serviceId),
    ]);
    return { prices, rules: rulesFor(rules, capture.serviceId), service };
  }

  /**
   * After a model was found without a price: re-reads the prices once per interval for that model and
   * returns the new book, or null when it was re-read recently (the row is then written unpriced).
   */
  async recheckPrice(model: string): Promise<PriceBook | null> {
    const missedAt = performance.now();
    try {
      const reread = await this.misses.recheck(`model:${model.toLowerCase()}`, () => {
        this.options.onMissReread?.("prices");
        return this.prices.loadedSince(missedAt);
      });
      return reread ? this.prices.current() : null;
    } catch (error) {
      this.options.onError("prices", error);
      return null;
    }
  }

  /** Records that `topic`'s loaded value will include `version`; false when it already did. */
  private markApplied(topic: ConfigTopic, version: bigint): boolean {
    if (version <= (this.applied.get(topic) ?? 0n)) return false;
    this.applied.set(topic, version);
    return true;
  }

  private async serviceSettings(serviceId: number): Promise<ServiceSettings> {
    const known = (await this.services.fresh()).get(serviceId);
    if (known) return known;
    // A service created since the last load: read once (per interval) before metering with the defaults.
    const missedAt = performance.now();
    try {
      await this.misses.recheck(`service:${serviceId}`, () => {
        this.options.onMissReread?.("services");
        return this.services.loadedSince(missedAt);
      });
    } catch (error) {
      this.options.onError("service settings", error);
    }
    return this.services.current().get(serviceId) ?? DEFAULT_SERVICE_SETTINGS;
  }
}
