"""The one page the dashboard serves at ``/``: static HTML with inline CSS and JS (no build
step, no CDN). The script polls ``api/stories``, ``api/mentions`` and ``api/alerts``
every few seconds and draws the mentions chart as inline SVG. Every value from the
feeds is inserted with ``textContent``/``setAttribute``, never as HTML."""

from __future__ import annotations

POLL_SECONDS = 5

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wirewatch</title>
<style>
:root { --bg:#f4f5f7; --card:#fff; --ink:#1b1f24; --muted:#66707a; --line:#e2e5e9; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
       background:var(--bg); color:var(--ink); }
header { display:flex; align-items:baseline; gap:1rem; padding:.7rem 1.2rem;
         background:#14171c; color:#fff; }
header h1 { font-size:1.05rem; margin:0; letter-spacing:.02em; }
#status { color:#9aa4ae; font-size:.85rem; }
main { display:grid; grid-template-columns:minmax(0,3fr) minmax(0,2fr); gap:1rem;
       padding:1rem 1.2rem; }
section { background:var(--card); border:1px solid var(--line); border-radius:6px;
          padding:.8rem 1rem; min-width:0; }
section h2 { font-size:.95rem; margin:0 0 .6rem; display:flex; align-items:center;
             justify-content:space-between; gap:.5rem; }
#stories-section { grid-row:span 2; }
table { width:100%; border-collapse:collapse; }
th, td { text-align:left; padding:.35rem .4rem; border-bottom:1px solid var(--line);
         vertical-align:top; }
th { font-weight:600; color:var(--muted); font-size:.78rem; }
.num { text-align:right; font-variant-numeric:tabular-nums; }
.chip { display:inline-block; padding:0 .4rem; margin:0 .2rem .2rem 0; border-radius:3px;
        background:#eef2f7; font-size:.78rem; white-space:nowrap; }
.lang { background:#e6f4ea; }
.meta { color:var(--muted); font-size:.78rem; font-weight:normal; }
.empty { color:var(--muted); font-style:italic; padding:.5rem 0; }
#chart svg { width:100%; height:auto; display:block; }
#chart text { font-size:10px; fill:var(--muted); }
.legend { margin-top:.4rem; }
.legend span { display:inline-block; margin-right:.8rem; font-size:.78rem; }
.legend i { display:inline-block; width:.7rem; height:.7rem; margin-right:.25rem;
            vertical-align:-1px; border-radius:2px; }
ol#alerts { list-style:none; padding:0; margin:0; }
ol#alerts li { padding:.45rem 0; border-bottom:1px solid var(--line); }
.kind { font-weight:600; text-transform:uppercase; font-size:.7rem; color:#fff;
        background:#2f855a; padding:0 .35rem; border-radius:3px; margin-right:.3rem; }
.kind.update { background:#b7791f; }
a { color:#0b5cad; text-decoration:none; }
select { font:inherit; font-size:.8rem; }
@media (max-width: 900px) { main { grid-template-columns:1fr; } }
</style>
</head>
<body data-loaded="false">
<header><h1>wirewatch</h1><span id="status">loading…</span></header>
<main>
<section id="stories-section">
  <h2>Live stories <span class="meta" id="stories-count"></span></h2>
  <table>
    <thead><tr><th>Headline</th><th class="num">Articles</th><th>Languages</th>
      <th>Entities</th><th>Last update</th></tr></thead>
    <tbody id="stories"></tbody>
  </table>
</section>
<section id="mentions-section">
  <h2>Mentions per entity, 5-minute buckets
    <select id="hours" aria-label="time range">
      <option value="1">1 h</option><option value="3">3 h</option>
      <option value="6" selected>6 h</option><option value="12">12 h</option>
      <option value="24">24 h</option>
    </select>
  </h2>
  <div id="chart"></div>
  <div class="legend" id="legend"></div>
</section>
<section id="alerts-section">
  <h2>Latest alerts <span class="meta" id="alerts-count"></span></h2>
  <ol id="alerts"></ol>
</section>
</main>
<script>
"use strict";
const POLL_MS = __POLL_MS__;
const COLORS = ["#0b69d4", "#d9480f", "#2f9e44", "#ae3ec9", "#f08c00",
                "#1098ad", "#e64980", "#5c940d", "#495057", "#7048e8"];
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  for (const child of children) node.append(child);
  return node;
}
function svg(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}
function ago(iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 90) return Math.round(s) + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  if (s < 172800) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " d ago";
}
function hhmm(iso) {
  const d = new Date(iso);
  return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
}
function chips(values, cls) {
  return values.map((v) => el("span", {class: "chip " + (cls || "")}, v));
}

function renderStories(stories) {
  const body = $("stories");
  body.replaceChildren();
  $("stories-count").textContent = stories.length + " live";
  if (!stories.length) {
    body.append(el("tr", {}, el("td", {colspan: 5, class: "empty"}, "No stories yet.")));
    return;
  }
  for (const s of stories) {
    body.append(el("tr", {"data-story-id": s.id, "data-entities": s.entities.join(" ")},
      el("td", {}, s.headline),
      el("td", {class: "num", title: s.sources + " sources"}, String(s.size)),
      el("td", {}, ...chips(s.languages, "lang")),
      el("td", {}, ...(s.entities.length ? chips(s.entities) : ["–"])),
      el("td", {class: "meta", title: "newest article published " + s.last_seen},
        ago(s.updated))));
  }
}

function renderChart(data) {
  const W = 640, H = 240, L = 34, R = 8, T = 8, B = 22;
  const n = data.buckets.length;
  const totals = data.buckets.map((_, i) =>
    data.series.reduce((sum, s) => sum + s.counts[i], 0));
  const max = Math.max(1, ...totals);
  const step = Math.pow(10, Math.floor(Math.log10(max)));
  const top = Math.ceil(max / step) * step;
  const bw = (W - L - R) / Math.max(1, n);
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const chart = svg("svg", {viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": "mentions per entity", "data-total": totals.reduce((a, b) => a + b, 0),
    "data-buckets": n});
  for (const v of [0, top / 2, top]) {
    chart.append(svg("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e2e5e9"}));
    const label = svg("text", {x: L - 4, y: y(v) + 3, "text-anchor": "end"});
    label.textContent = String(Math.round(v * 10) / 10);
    chart.append(label);
  }
  const ticks = [[0, "start", 0], [Math.floor(n / 2), "middle", 0.5], [n - 1, "end", 1]];
  for (const [i, anchor, offset] of ticks) {
    if (i < 0 || i >= n) continue;
    const label = svg("text", {x: L + bw * (i + offset), y: H - 6, "text-anchor": anchor});
    label.textContent = hhmm(data.buckets[i]);
    chart.append(label);
  }
  data.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    s.counts.forEach((count, i) => {
      if (!count) return;
      const below = data.series.slice(0, k).reduce((sum, o) => sum + o.counts[i], 0);
      const bar = svg("rect", {x: L + bw * i + bw * 0.1, width: Math.max(1, bw * 0.8),
        y: y(below + count), height: y(below) - y(below + count), fill: color,
        "data-entity": s.entity, "data-count": count});
      const tip = svg("title", {});
      tip.textContent = `${s.entity}: ${count} at ${hhmm(data.buckets[i])}`;
      bar.append(tip);
      chart.append(bar);
    });
  });
  $("chart").replaceChildren(chart);
  const legend = $("legend");
  legend.replaceChildren();
  if (!data.series.length) {
    legend.append(el("span", {class: "empty"}, "No mentions in this range."));
  }
  data.series.forEach((s, k) => legend.append(el("span", {"data-entity": s.entity},
    el("i", {style: "background:" + COLORS[k % COLORS.length]}), `${s.entity} (${s.total})`)));
}

function renderAlerts(alerts) {
  const list = $("alerts");
  list.replaceChildren();
  $("alerts-count").textContent = alerts.length ? alerts.length + " shown" : "";
  if (!alerts.length) { list.append(el("li", {class: "empty"}, "No alerts yet.")); return; }
  for (const a of alerts) {
    const title = /^https?:\\/\\//.test(a.article_url)
      ? el("a", {href: a.article_url, rel: "noopener noreferrer", target: "_blank"},
           a.article_title)
      : el("span", {}, a.article_title);
    list.append(el("li", {"data-alert-id": a.id},
      el("span", {class: "kind " + a.kind}, a.kind), title,
      el("div", {class: "meta"}, `${a.subscription} · story rev ${a.revision}, ` +
        `${a.size} article${a.size === 1 ? "" : "s"} · ${a.entities.join(", ")} · ` +
        ago(a.created))));
  }
}

async function getJSON(path) {
  const resp = await fetch(path, {cache: "no-store"});
  if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status}`);
  return resp.json();
}

async function refresh() {
  try {
    const hours = $("hours").value;
    const [stories, mentions, alerts] = await Promise.all([
      getJSON("api/stories"), getJSON("api/mentions?hours=" + hours), getJSON("api/alerts")]);
    renderStories(stories.stories);
    renderChart(mentions);
    renderAlerts(alerts.alerts);
    $("status").textContent = "updated " + new Date().toLocaleTimeString();
    document.body.dataset.loaded = "true";
  } catch (err) {
    $("status").textContent = "cannot reach the dashboard service (" + err.message + ")";
  }
}
$("hours").addEventListener("change", refresh);
refresh();
setInterval(refresh, POLL_MS);
</script>
</body>
</html>
""".replace("__POLL_MS__", str(POLL_SECONDS * 1000))
