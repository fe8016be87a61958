import type { MeteredValues } from "@tokenmeter/db";
import { Decimal } from "@tokenmeter/pricing";

/** What a repair did (or would do) to one model's rows. Money as exact decimal strings. */
export interface ModelRepair {
  model: string | null;
  rows: number;
  rowsChanged: number;
  oldTotal: string;
  newTotal: string;
  unpricedBefore: number;
  unpricedAfter: number;
}

/** What a repair did (or would do) over its whole window. */
export interface RepairSummary {
  rowsScanned: number;
  rowsChanged: number;
  oldTotal: string;
  newTotal: string;
  unpricedBefore: number;
  unpricedAfter: number;
  byModel: ModelRepair[];
}

interface Totals {
  rows: number;
  rowsChanged: number;
  oldTotal: Decimal;
  newTotal: Decimal;
  unpricedBefore: number;
  unpricedAfter: number;
}

const empty = (): Totals => ({
  rows: 0,
  rowsChanged: 0,
  oldTotal: new Decimal(0),
  newTotal: new Decimal(0),
  unpricedBefore: 0,
  unpricedAfter: 0,
});

const cost = (v: string | null) => (v === null ? new Decimal(0) : new Decimal(v));

/** Adds up before/after costs exactly (decimal.js; unpriced rows count as unpriced, not as 0 USD). */
export class RepairTally {
  readonly #all = empty();
  readonly #byModel = new Map<string | null, Totals>();

  /** Counts one matching row. */
  add(before: MeteredValues, after: MeteredValues, changed: boolean): void {
    const model = after.modelName ?? before.modelName;
    let m = this.#byModel.get(model);
    if (!m) {
      m = empty();
      this.#byModel.set(model, m);
    }
    for (const t of [this.#all, m]) {
      t.rows += 1;
      if (changed) t.rowsChanged += 1;
      t.oldTotal = t.oldTotal.plus(cost(before.tokenCost));
      t.newTotal = t.newTotal.plus(cost(after.tokenCost));
      if (before.tokenCost === null) t.unpricedBefore += 1;
      if (after.tokenCost === null) t.unpricedAfter += 1;
    }
  }

  /** Totals since `mark` was taken: what one chunk added (for the audit row). */
  mark(): { rows: number; rowsChanged: number; oldTotal: Decimal; newTotal: Decimal } {
    return {
      rows: this.#all.rows,
      rowsChanged: this.#all.rowsChanged,
      oldTotal: this.#all.oldTotal,
      newTotal: this.#all.newTotal,
    };
  }

  summary(): RepairSummary {
    const byModel = [...this.#byModel.entries()]
      .map(([model, t]) => ({
        model,
        rows: t.rows,
        rowsChanged: t.rowsChanged,
        oldTotal: t.oldTotal.toFixed(),
        newTotal: t.newTotal.toFixed(),
        unpricedBefore: t.unpricedBefore,
        unpricedAfter: t.unpricedAfter,
      }))
      .sort((a, b) => (a.model ?? "").localeCompare(b.model ?? ""));
    return {
      rowsScanned: this.#all.rows,
      rowsChanged: this.#all.rowsChanged,
      oldTotal: this.#all.oldTotal.toFixed(),
      newTotal: this.#all.newTotal.toFixed(),
      unpricedBefore: this.#all.unpricedBefore,
      unpricedAfter: this.#all.unpricedAfter,
      byModel,
    };
  }
}
