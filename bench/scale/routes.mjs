// Every read route the scale bench measures, with its goal (issue goals at 10M rows, p99 at one connection).
// Periods are anchored on the loaded data's last UTC day, so a rerun on a later day reads the same rows.

const DAY_MS = 86_400_000;
const day = (ms) => new Date(ms).toISOString().slice(0, 10);

/** Goals in ms (p99 at one connection); every route also has "no 5xx at 16 connections". */
const GOALS = { summary: 20, report: 50, logs: 20, dashboard: 150 };

/**
 * The routes: { name, path, auth, goal } where auth is "heavy" | "light" | "seller" | "admin". `serviceId` is
 * the busiest service, `otherServiceId` one the light buyer never called, `deepCursor` the query parameters of
 * a page nine tenths of the way back ({ all, heavy }) or null.
 */
export function scaleRoutes(info, { serviceId, otherServiceId, deepCursor }) {
  const lastMs = Date.parse(info.to);
  const last = day(lastMs);
  const ranges = {
    daily: `from=${last}&to=${last}`,
    monthly: `from=${last.slice(0, 8)}01&to=${last}`,
    "90d": `from=${day(lastMs - 89 * DAY_MS)}&to=${last}`,
    "90d Kolkata": `from=${day(lastMs - 89 * DAY_MS)}&to=${last}&tz=Asia/Kolkata`,
  };
  const routes = [];
  const add = (name, path, auth, goal) => routes.push({ name, path, auth, goal });

  for (const who of ["light", "heavy"]) {
    for (const [r, q] of Object.entries(ranges))
      add(`buyer ${who} summary ${r}`, `/api/v1/usage/summary?${q}`, who, GOALS.summary);
    for (const g of ["api", "model", "day", "key"])
      add(
        `buyer ${who} breakdown ${g} 90d`,
        `/api/v1/usage/breakdown?group_by=${g}&${ranges["90d"]}`,
        who,
        GOALS.report,
      );
  }
  for (const [r, q] of Object.entries(ranges))
    add(`seller summary ${r}`, `/api/v1/seller/usage/summary?${q}`, "seller", GOALS.summary);
  for (const g of ["service", "model", "buyer", "day"])
    add(
      `seller breakdown ${g} 90d`,
      `/api/v1/seller/usage/breakdown?group_by=${g}&${ranges["90d"]}`,
      "seller",
      GOALS.report,
    );
  for (const r of ["monthly", "90d"])
    add(`admin summary ${r}`, `/admin/usage/summary?${ranges[r]}`, "admin", GOALS.report);
  for (const g of ["buyer", "service", "model", "day"])
    add(
      `admin breakdown ${g} 90d`,
      `/admin/usage/breakdown?group_by=${g}&${ranges["90d"]}`,
      "admin",
      GOALS.report,
    );

  const logs = "/admin/usage/logs?limit=100";
  add("logs first page", logs, "admin", GOALS.logs);
  add("logs buyer heavy", `${logs}&buyer_id=${info.heavy_buyer_id}`, "admin", GOALS.logs);
  add("logs buyer light", `${logs}&buyer_id=${info.light_buyer_id}`, "admin", GOALS.logs);
  add("logs service", `${logs}&api_service_id=${serviceId}`, "admin", GOALS.logs);
  // A light buyer on a service it seldom or never calls: the filter matches few or no rows.
  add(
    "logs buyer light + service",
    `${logs}&buyer_id=${info.light_buyer_id}&api_service_id=${otherServiceId}`,
    "admin",
    GOALS.logs,
  );
  if (deepCursor) {
    add("logs deep page", `${logs}&${deepCursor.all}`, "admin", GOALS.logs);
    add(
      "logs buyer heavy deep page",
      `${logs}&buyer_id=${info.heavy_buyer_id}&${deepCursor.heavy}`,
      "admin",
      GOALS.logs,
    );
  }
  add("dashboard monthly", "/dashboard/?period=monthly", "admin", GOALS.dashboard);
  return routes;
}
