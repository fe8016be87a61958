import type { RequestHandler } from "express";
import { ApiError } from "../errors.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Refuses state-changing requests a browser could be tricked into sending: the admin pages accept HTTP Basic,
 * which browsers attach to cross-site requests by themselves. A request is refused when the browser says it is
 * cross-site (`Sec-Fetch-Site`), when its `Origin` is not this host, or when it carries a body that is not JSON
 * (forms and `text/plain` are what a cross-site page can send without a preflight). Clients that are not
 * browsers send neither header and are unaffected.
 */
export const requireSameOriginJson: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method)) {
    next();
    return;
  }
  const site = req.get("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new ApiError("cross_site_request", "cross-site requests cannot change anything here");
  }
  const origin = req.get("origin");
  if (origin !== undefined && origin !== "null") {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host === null || host !== req.get("host")) {
      throw new ApiError("cross_site_request", "cross-site requests cannot change anything here");
    }
  } else if (origin === "null") {
    throw new ApiError("cross_site_request", "requests from opaque origins cannot change anything here");
  }
  const hasBody = Number(req.get("content-length") ?? 0) > 0 || req.get("transfer-encoding") !== undefined;
  if (hasBody && !req.is("application/json")) {
    throw new ApiError("unsupported_media_type", "request bodies must be application/json");
  }
  next();
};
