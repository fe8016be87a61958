import express, { type Router } from "express";
import { USAGE_PAGE_HTML } from "../usage-page/page-html.js";
import { USAGE_PAGE_SCRIPT } from "../usage-page/page-script.js";

// Only our own script and API: no inline script, no third-party host, no framing.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * `GET /usage`: the buyers' and sellers' usage page. It holds no data and needs no auth: the browser calls the
 * public endpoints with the reader's own key, so it shows exactly what that key may read.
 */
export function usagePageRouter(): Router {
  const router = express.Router();
  const common = (res: express.Response) =>
    res
      .set("Content-Security-Policy", CSP)
      .set("X-Content-Type-Options", "nosniff")
      .set("Referrer-Policy", "no-referrer");
  router.get("/", (_req, res) => {
    common(res).set("Cache-Control", "no-store").type("html").send(USAGE_PAGE_HTML);
  });
  router.get("/app.js", (_req, res) => {
    common(res).set("Cache-Control", "no-cache").type("application/javascript").send(USAGE_PAGE_SCRIPT);
  });
  return router;
}
