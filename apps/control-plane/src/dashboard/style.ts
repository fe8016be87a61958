import { SafeHtml } from "./html.js";

/** The dashboard's inline stylesheet (no external assets: the network may be closed). */
export const STYLE = new SafeHtml(`
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{display:flex;gap:1em;align-items:baseline;padding:.8em 1.5em;background:#1d2430;color:#fff}
header h1{font-size:1.2em;margin:0}
main{padding:1em 1.5em;max-width:1200px}
form{display:flex;flex-wrap:wrap;gap:.8em;align-items:center;margin-bottom:1em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:1em}
.cards div{background:#fff;border-radius:6px;padding:.8em;box-shadow:0 1px 2px #0002}
.cards b{display:block;font-size:1.4em}
.cards span,.note{color:#5a6372}
section{margin:1.5em 0}
h2{font-size:1.05em}
table{border-collapse:collapse;width:100%;background:#fff}
table.narrow{width:auto}
th,td{padding:.35em .6em;border-bottom:1px solid #e3e6ea;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal}
td.empty{text-align:center;color:#5a6372}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:1em}
.chart{margin:0;background:#fff;padding:.6em;border-radius:6px}
.chart rect{fill:#3b6fd8}
.chart .axis{stroke:#9aa3b0}
.chart text{font-size:11px;fill:#5a6372}
.warn{color:#a33}
`);
