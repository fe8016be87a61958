import type { GroupBy } from "@tokenmeter/db";
import { ApiError } from "../errors.js";

/** The `group_by` names a reader may use, mapped to the query layer's dimensions. */
export type GroupByNames = Readonly<Record<string, GroupBy>>;

/** Buyers group their own usage by API, model, local day or their own keys. */
export const BUYER_GROUP_BYS: GroupByNames = { api: "service", model: "model", day: "day", key: "key" };
/** Sellers group their services' usage by service, model, buyer or local day. */
export const SELLER_GROUP_BYS: GroupByNames = {
  service: "service",
  model: "model",
  buyer: "buyer",
  day: "day",
};
/** Operators may use every dimension (`api` is an alias of `service`). */
export const ADMIN_GROUP_BYS: GroupByNames = {
  buyer: "buyer",
  service: "service",
  api: "service",
  model: "model",
  day: "day",
  key: "key",
};

/** A parsed `group_by`: the name as the reader wrote it and the dimension it selects. */
export interface GroupByChoice {
  name: string;
  dimension: GroupBy;
}

/** Parses `group_by` against a reader's names; absent is `undefined` unless required; unknown is a 400. */
export function parseGroupBy(value: unknown, names: GroupByNames, required: true): GroupByChoice;
export function parseGroupBy(
  value: unknown,
  names: GroupByNames,
  required?: false,
): GroupByChoice | undefined;
export function parseGroupBy(
  value: unknown,
  names: GroupByNames,
  required = false,
): GroupByChoice | undefined {
  if ((value === undefined || value === "") && !required) return undefined;
  if (typeof value === "string" && Object.hasOwn(names, value)) {
    return { name: value, dimension: names[value] as GroupBy };
  }
  throw new ApiError("invalid_group_by", `group_by must be one of ${Object.keys(names).join(", ")}`);
}
