/**
 * The usage page's script, served as /usage/app.js (no inline script, no CDN, no framework). It reads only
 * the public endpoints with the caller's own key, kept in sessionStorage (gone when the tab closes), and
 * writes every figure with textContent, never as HTML.
 */
export const USAGE_PAGE_SCRIPT = `"use strict";
(() => {
  const KEY = "tokenmeter.key";
  const $ = (id) => document.getElementById(id);
  const svgNs = "http://www.w3.org/2000/svg";
  const fmt = (n) => Number(n).toLocaleString("en-US");
  const usd = (text) => "$" + text;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function table(id, headings, rows) {
    const t = $(id);
    t.replaceChildren();
    const head = el("tr");
    headings.forEach((h, i) => head.append(el("th", h, i > 0 ? "n" : "")));
    t.append(head);
    for (const cells of rows) {
      const tr = el("tr");
      cells.forEach((c, i) => tr.append(el("td", c, i > 0 ? "n" : "")));
      t.append(tr);
    }
    if (rows.length === 0) t.append(el("tr")).append(el("td", "No usage in this period."));
  }

  function barChart(id, bars) {
    const box = $(id);
    box.replaceChildren();
    const width = 720, height = 150, plot = 128;
    const svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", "100%");
    svg.setAttribute("role", "img");
    const max = Math.max(0, ...bars.map((b) => b.value));
    const slot = bars.length ? width / bars.length : width;
    bars.forEach((bar, i) => {
      const h = max > 0 ? Math.max(bar.value > 0 ? 1 : 0, (bar.value / max) * (plot - 4)) : 0;
      const rect = document.createElementNS(svgNs, "rect");
      rect.setAttribute("x", String(i * slot + slot * 0.1));
      rect.setAttribute("y", String(plot - h));
      rect.setAttribute("width", String(slot * 0.8));
      rect.setAttribute("height", String(h));
      const title = document.createElementNS(svgNs, "title");
      title.textContent = bar.label + ": " + bar.text;
      rect.append(title);
      svg.append(rect);
    });
    for (const [x, anchor, text] of [[0, "start", bars[0]?.label ?? ""], [width, "end", bars.at(-1)?.label ?? ""]]) {
      const t = document.createElementNS(svgNs, "text");
      t.setAttribute("x", String(x));
      t.setAttribute("y", String(height - 4));
      t.setAttribute("text-anchor", anchor);
      t.textContent = text;
      svg.append(t);
    }
    box.append(svg);
  }

  async function get(path, key) {
    const res = await fetch(path, { headers: { authorization: "Bearer " + key }, cache: "no-store" });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.message || "request failed (" + res.status + ")");
    return body;
  }

  function query(groupBy) {
    const p = new URLSearchParams();
    const period = $("period").value;
    if (period === "custom") {
      if ($("from").value) p.set("from", $("from").value);
      if ($("to").value) p.set("to", $("to").value);
    } else p.set("period", period);
    if ($("tz").value) p.set("tz", $("tz").value);
    if (groupBy) p.set("group_by", groupBy);
    return "?" + p.toString();
  }

  async function load() {
    const key = sessionStorage.getItem(KEY);
    $("login").hidden = Boolean(key);
    $("filters").hidden = !key;
    $("forget").hidden = !key;
    $("report").hidden = true;
    $("error").textContent = "";
    if (!key) return;
    const seller = key.startsWith("tms_");
    const base = seller ? "/api/v1/seller/usage" : "/api/v1/usage";
    try {
      const [summary, days, models, buyers] = await Promise.all([
        get(base + "/summary" + query(), key),
        get(base + "/breakdown" + query("day"), key),
        get(base + "/breakdown" + query("model"), key),
        seller ? get(base + "/breakdown" + query("buyer"), key) : Promise.resolve(null),
      ]);
      $("who").textContent = seller ? "seller #" + summary.seller_id : "your usage";
      $("range").textContent = summary.from + " – " + summary.to + " (" + summary.tz + ", " + summary.period + ")";
      $("calls").textContent = fmt(summary.calls_made);
      $("tokens").textContent = fmt(summary.total_tokens);
      $("cost").textContent = usd(summary.indicative_cost_exact);
      $("errors").textContent = fmt(summary.error_calls);
      $("unpriced").textContent = fmt(summary.unpriced_calls);
      barChart("chart-days", days.rows.map((r) => ({ label: r.day, value: r.token_cost, text: usd(r.token_cost_exact) })));
      const byTokens = [...models.rows].sort((a, b) => b.total_tokens - a.total_tokens);
      barChart("chart-models", byTokens.map((r) => ({ label: r.model_name ?? "(unknown)", value: r.total_tokens, text: fmt(r.total_tokens) + " tokens" })));
      $("apis-title").textContent = seller ? "By service" : "By API";
      table("apis", ["API", "Calls", "Tokens", "Cost (USD)", "Errors", "Unpriced"], summary.usage_details_by_api.map((s) => [
        s.api_service_name ?? "#" + s.api_service_id, fmt(s.calls), fmt(s.total_tokens), usd(s.token_cost_exact), fmt(s.error_calls), fmt(s.unpriced_calls),
      ]));
      table("models", ["Model", "Calls", "Tokens", "Cost (USD)"], byTokens.slice(0, 10).map((r) => [
        r.model_name ?? "(unknown)", fmt(r.calls), fmt(r.total_tokens), usd(r.token_cost_exact),
      ]));
      $("buyers-section").hidden = !seller;
      if (buyers) {
        const top = [...buyers.rows].sort((a, b) => b.token_cost - a.token_cost).slice(0, 10);
        table("buyers", ["Buyer", "Calls", "Tokens", "Cost (USD)"], top.map((r) => [
          (r.buyer_name ?? "buyer") + " #" + r.buyer_id, fmt(r.calls), fmt(r.total_tokens), usd(r.token_cost_exact),
        ]));
      }
      $("report").hidden = false;
    } catch (error) {
      $("error").textContent = error.message;
      if (/key/i.test(error.message)) sessionStorage.removeItem(KEY);
    }
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("key").value.trim());
    $("key").value = "";
    void load();
  });
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  $("forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    void load();
  });
  $("tz").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  void load();
})();
`;
