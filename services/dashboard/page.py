"""The one page the dashboard serves at ``/``: static HTML with inline CSS and JS (no build
step, no CDN). The script polls ``api/stories``, ``api/mentions`` and ``api/alerts``
every few seconds and draws the mentions chart as inline SVG; a click on a story opens
``api/stories/{id}``; the query box previews as you type (``api/preview``) and creates
the subscription with an API token (``api/subscriptions``); ``?q=`` fills the box.
Every value from the feeds is inserted with ``textContent``/``setAttribute``, never as HTML."""

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
#stories-section { grid-row:span 3; }
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
.status { font-weight:600; text-transform:uppercase; font-size:.7rem; color:#fff;
          padding:0 .35rem; border-radius:3px; margin-right:.3rem; }
.status.dead-lettered { background:#c92a2a; }
.status.retrying { background:#e67700; }
li[data-status="dead-lettered"] { background:#fff5f5; }
.why { color:#364049; font-size:.78rem; }
#try-section { grid-column:1 / -1; }
#query { width:100%; font:15px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;
         padding:.45rem .6rem; border:1px solid #c3c9d0; border-radius:4px; }
#query.invalid { border-color:#c92a2a; }
.error { color:#c92a2a; font-size:.85rem; margin:.35rem 0; }
.error mark { background:#ffc9c9; color:inherit; }
ol.plain { list-style:none; padding:0; margin:.4rem 0 0; }
ol.plain li { padding:.3rem 0; border-bottom:1px solid var(--line); }
#create form { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:end; margin:.5rem 0; }
#create label { display:flex; flex-direction:column; font-size:.78rem; color:var(--muted); }
#create input { font:inherit; padding:.2rem .35rem; }
#create-result.ok { color:#2f855a; } #create-result.failed { color:#c92a2a; }
tr[data-story-id] { cursor:pointer; }
tr[data-story-id]:hover, tr.selected { background:#f1f6fd; }
#story-section[hidden] { display:none; }
@media (max-width: 900px) { main { grid-template-columns:1fr; } }
</style>
</head>
<body data-loaded="false">
<header><h1>wirewatch</h1><span id="status">loading…</span></header>
<main>
<section id="try-section">
  <h2>Try a query <span class="meta">the alerts it would have sent over the last 24 hours,
    as you type (nothing is stored or sent)</span></h2>
  <input id="query" type="text" spellcheck="false" autocomplete="off"
         aria-label="subscription query" placeholder="@elon_musk AND @sam_altman">
  <div id="query-error" class="error" hidden></div>
  <div id="preview-summary" class="meta"></div>
  <ol id="preview" class="plain"></ol>
  <ol id="preview-misses" class="plain meta"></ol>
  <details id="create"><summary>Create a subscription for this query</summary>
    <form id="create-form">
      <label>Id<input id="sub-id" required placeholder="openai-desk"></label>
      <label>Webhook URL<input id="sub-url" type="url" placeholder="webhook URL (https)"></label>
      <label>Webhook secret<input id="sub-secret" type="password" autocomplete="off"
        placeholder="whsec_…"></label>
      <label>or email to<input id="sub-email" type="email" placeholder="desk@example.org"></label>
      <label>Update every … articles<input id="sub-every" type="number" min="1"></label>
      <label>API token<input id="sub-token" type="password" autocomplete="off"></label>
      <button id="create-button" type="submit">Create</button>
      <span id="create-result" role="status"></span>
    </form>
  </details>
</section>
<section id="stories-section">
  <h2>Live stories <span class="meta" id="stories-count"></span></h2>
  <table>
    <thead><tr><th>Headline</th><th class="num">Articles</th><th>Languages</th>
      <th>Entities</th><th>Last update</th></tr></thead>
    <tbody id="stories"></tbody>
  </table>
</section>
<section id="story-section" hidden>
  <h2><span id="story-headline"></span> <span class="meta" id="story-meta"></span></h2>
  <div id="story-sources"></div>
  <div id="story-mentions"></div>
  <h3 class="meta">Articles</h3>
  <ol id="story-articles" class="plain"></ol>
  <h3 class="meta">Linked stories (other languages)</h3>
  <ol id="story-links" class="plain"></ol>
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
    const attrs = {"data-story-id": s.id, "data-entities": s.entities.join(" ")};
    if (s.id === selected) attrs.class = "selected";
    body.append(el("tr", attrs,
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
    const status = a.status && a.status !== "raised"
      ? [el("span", {class: "status " + a.status, title: a.detail}, a.status)] : [];
    list.append(el("li", {"data-alert-id": a.id, "data-status": a.status || "raised"},
      ...status, el("span", {class: "kind " + a.kind}, a.kind), title,
      el("div", {class: "meta"}, `${a.subscription} · story rev ${a.revision}, ` +
        `${a.size} article${a.size === 1 ? "" : "s"} · ${a.entities.join(", ")} · ` +
        ago(a.created)),
      ...(a.held && a.held.length ? [el("div", {class: "why"}, "why: " + a.held.join("; "))] : []),
      ...(status.length ? [el("div", {class: "error"}, a.detail)] : [])));
  }
}

// --- a story's page ---------------------------------------------------------------------
let selected = null;
async function showStory(id) {
  selected = id;
  let s;
  try { s = await getJSON("api/stories/" + encodeURIComponent(id)); }
  catch (err) { $("story-meta").textContent = "story no longer live"; return; }
  if (selected !== id) return;
  $("story-section").hidden = false;
  $("story-section").dataset.storyId = s.id;
  $("story-headline").textContent = s.headline;
  $("story-meta").textContent = `${s.size} article${s.size === 1 ? "" : "s"} · ` +
    `${s.sources} source${s.sources === 1 ? "" : "s"} · ${s.lang} · rev ${s.revision}`;
  $("story-sources").replaceChildren(el("span", {class: "meta"}, "Sources: "),
    ...s.article_sources.map((x) => el("span", {class: "chip", "data-source": x.source},
      `${x.source} (${x.articles})`)));
  $("story-mentions").replaceChildren(el("span", {class: "meta"}, "Mentions: "),
    ...s.mention_counts.map((x) => el("span", {class: "chip", "data-mention": x.entity},
      `${x.entity} (${x.mentions})`)));
  $("story-articles").replaceChildren(...s.articles.map((a) => el("li",
    {"data-article-id": a.id},
    /^https?:\\/\\//.test(a.url)
      ? el("a", {href: a.url, rel: "noopener noreferrer", target: "_blank"}, a.title)
      : el("span", {}, a.title),
    el("div", {class: "meta"}, `${a.source} · ${a.lang} · ${ago(a.published)}`),
    el("div", {}, ...chips([...new Set(a.mentions.map((m) => `${m.entity}: ${m.text}`))])))));
  const links = $("story-links");
  links.replaceChildren();
  if (!s.linked.length) links.append(el("li", {class: "empty"}, "None."));
  for (const l of s.linked) {
    const item = el("li", {"data-linked-id": l.id},
      el("a", {href: "#"}, l.headline || l.id),
      el("span", {class: "meta"},
        l.lang ? ` · ${l.lang} · ${l.size} articles` : " · no longer live"));
    item.querySelector("a").addEventListener("click", (e) => {
      e.preventDefault(); showStory(l.id);
    });
    links.append(item);
  }
  for (const row of document.querySelectorAll("tr[data-story-id]")) {
    row.classList.toggle("selected", row.dataset.storyId === id);
  }
}
$("stories").addEventListener("click", (e) => {
  const row = e.target.closest("tr[data-story-id]");
  if (row) showStory(row.dataset.storyId);
});

// --- try a query: preview as you type, create with a token -------------------------------
let asked = 0, timer = null;
function every() {
  const n = parseInt($("sub-every").value, 10);
  return n > 0 ? {every_articles: n} : {};
}
async function post(path, body, token) {
  const headers = {"content-type": "application/json"};
  if (token) headers.Authorization = "Bearer " + token;
  const resp = await fetch(path, {method: "POST", headers, body: JSON.stringify(body)});
  return [resp.status, await resp.json()];
}
function showErrors(query, problems) {
  const box = $("query-error");
  box.replaceChildren();
  for (const p of problems) {
    const line = el("div", {"data-position": p.position ?? ""},
      (p.field && p.field !== "query" ? p.field + ": " : "") + p.message +
      (p.position !== undefined ? ` at position ${p.position}: ` : ""));
    if (p.position !== undefined) {
      line.append(query.slice(0, p.position),
        el("mark", {}, query.slice(p.position, p.position + 1) || " "),
        query.slice(p.position + 1));
    }
    box.append(line);
  }
  box.hidden = !problems.length;
  $("query").classList.toggle("invalid", problems.length > 0);
}
async function preview() {
  const query = $("query").value;
  const mine = ++asked;
  if (!query.trim()) {
    showErrors("", []); $("preview").replaceChildren(); $("preview-misses").replaceChildren();
    $("preview-summary").textContent = ""; return;
  }
  let status, answer;
  try { [status, answer] = await post("api/preview", {query, hours: 24, updates: every()}); }
  catch (err) { $("preview-summary").textContent = "preview failed: " + err.message; return; }
  if (mine !== asked) return;  // a newer keystroke asked again
  const list = $("preview"), misses = $("preview-misses");
  list.replaceChildren(); misses.replaceChildren();
  if (status !== 200) {
    showErrors(query, answer.problems || [{message: answer.error}]);
    $("preview-summary").textContent = "";
    document.body.dataset.preview = "error";
    return;
  }
  showErrors(query, []);
  const sum = answer.summary;
  $("preview-summary").textContent = `${sum.alerts} alert${sum.alerts === 1 ? "" : "s"} ` +
    `for ${sum.stories} stor${sum.stories === 1 ? "y" : "ies"} in the last 24 hours` +
    (sum.busiest ? ` · busiest: «${sum.busiest.headline}» (${sum.busiest.alerts})` : "");
  if (!answer.alerts.length) list.append(el("li", {class: "empty"}, "It would have sent nothing."));
  for (const a of answer.alerts) {
    const why = (a.held || []).map((h) => h.term + (h.field ? ` (${h.field}: "${h.snippet}")` :
      h.seen ? ` (saw ${h.seen})` : ""));
    list.append(el("li", {"data-preview-id": a.id, "data-story": a.story.id},
      el("span", {class: "kind " + a.kind}, a.kind), a.story.headline,
      el("span", {class: "meta"}, ` · ${a.story.size} article${a.story.size === 1 ? "" : "s"}` +
        ` · ${ago(a.at)}`),
      el("div", {class: "why"}, "why: " + why.join("; "))));
  }
  for (const m of answer.misses.slice(0, 5)) {
    misses.append(el("li", {"data-miss": m.story}, `did not alert: «${m.headline}»: ${m.failed}`));
  }
  document.body.dataset.preview = String(answer.alerts.length);
}
function soon() { clearTimeout(timer); timer = setTimeout(preview, 250); }
$("query").addEventListener("input", soon);
$("sub-every").addEventListener("input", soon);
$("create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const result = $("create-result");
  const channel = $("sub-email").value
    ? {type: "email", to: [$("sub-email").value]}
    : {type: "webhook", url: $("sub-url").value, secret: $("sub-secret").value};
  const body = {id: $("sub-id").value, query: $("query").value, channel, updates: every()};
  let status, answer;
  try { [status, answer] = await post("api/subscriptions", body, $("sub-token").value); }
  catch (err) {
    result.textContent = "failed: " + err.message; result.className = "failed"; return;
  }
  const ok = status === 201 || status === 202;
  result.textContent = ok ? `created "${answer.id}"` + (answer.applied ? "" : " (stored; applying)")
                          : `not created: ${answer.error}`;
  result.className = ok ? "ok" : "failed";
  result.dataset.status = String(status);
});
const initial = new URLSearchParams(location.search).get("q");
if (initial) { $("query").value = initial; preview(); }

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
    if (selected) showStory(selected);
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
