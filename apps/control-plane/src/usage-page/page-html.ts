/** The buyer/seller usage page: a static shell; all figures come from the public API via `app.js`. */
export const USAGE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokenmeter · your usage</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1c2430}
header{background:#1c2430;color:#fff;padding:12px 24px;display:flex;gap:16px;align-items:center}
header h1{font-size:17px;margin:0;flex:1}
main{padding:16px 24px;max-width:1100px}
form{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin-bottom:16px}
label{display:flex;flex-direction:column;font-size:12px;color:#556}
input,select,button{font:inherit;padding:5px 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:16px}
.card{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px #0001}
.card b{display:block;font-size:22px}
section{background:#fff;border-radius:8px;padding:12px;margin-bottom:16px;box-shadow:0 1px 2px #0001}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg rect{fill:#3b6fd8}
svg text{font-size:11px;fill:#556}
#error{color:#b00020}
[hidden]{display:none!important}
</style>
</head>
<body>
<header><h1>tokenmeter · <span id="who">usage</span></h1><button id="forget" hidden>Forget key</button></header>
<main>
<form id="login">
<label>Your key (buyer tm_… or seller tms_…)<input id="key" type="password" autocomplete="off" size="44" required></label>
<button type="submit">Show my usage</button>
</form>
<form id="filters" hidden>
<label>Period<select id="period"><option value="monthly">This month</option><option value="daily">Today</option><option value="custom">From … to …</option></select></label>
<label>From<input id="from" type="date"></label>
<label>To<input id="to" type="date"></label>
<label>Time zone<input id="tz" size="22"></label>
<button type="submit">Update</button>
</form>
<p id="error" role="alert"></p>
<div id="report" hidden>
<p id="range"></p>
<div class="cards">
<div class="card">Calls<b id="calls">–</b></div>
<div class="card">Tokens<b id="tokens">–</b></div>
<div class="card">Cost (USD)<b id="cost">–</b></div>
<div class="card">Errors<b id="errors">–</b></div>
<div class="card">Unpriced calls<b id="unpriced">–</b></div>
</div>
<section><h2>Cost per day</h2><div id="chart-days"></div></section>
<section><h2>Tokens by model</h2><div id="chart-models"></div></section>
<section><h2 id="apis-title">By API</h2><table id="apis"></table></section>
<section><h2>Top models</h2><table id="models"></table></section>
<section id="buyers-section" hidden><h2>Top buyers</h2><table id="buyers"></table></section>
</div>
</main>
<script src="/usage/app.js"></script>
</body>
</html>
`;
