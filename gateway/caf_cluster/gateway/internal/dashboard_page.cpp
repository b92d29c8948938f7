#include "caf_cluster/gateway/internal/dashboard_page.hpp"

namespace caf_cluster::gateway::internal {

namespace {

// Data enters the DOM through textContent and attributes only, never as
// markup: runner addresses and type names come from storage.
constexpr std::string_view page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>caf-cluster dashboard</title>
<style>
:root { --bg: #f6f7f9; --card: #fff; --ink: #1d2330; --muted: #687083;
        --line: #dde1e8; --bad: #c62828; --good: #2e7d32; --warn: #ef6c00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
       background: var(--bg); color: var(--ink); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 12px;
         padding: 10px 18px; background: #1d2330; color: #fff; }
header h1 { font-size: 17px; margin: 0; font-weight: 600; }
header .node { color: #aeb6c6; }
#status { margin-left: auto; padding: 2px 10px; border-radius: 10px;
          background: #455064; }
#status[data-state="ok"] { background: var(--good); }
#status[data-state="error"] { background: var(--bad); }
#token-form { display: flex; gap: 6px; }
#token-form input { width: 180px; padding: 3px 6px; border-radius: 4px;
                    border: 1px solid #455064; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
       gap: 14px; padding: 14px 18px; }
section { background: var(--card); border: 1px solid var(--line);
          border-radius: 8px; padding: 10px 14px; min-width: 0; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 14px; margin: 0 0 8px; text-transform: uppercase;
     letter-spacing: .04em; color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid var(--line);
         white-space: nowrap; }
th { color: var(--muted); font-weight: 500; }
td.num, th.num { text-align: right; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
       margin-right: 6px; vertical-align: -1px; }
.tag { padding: 0 6px; border-radius: 8px; font-size: 12px; color: #fff; }
.tag.alive { background: var(--good); } .tag.dead { background: var(--bad); }
.tag.unhealthy, .tag.draining { background: var(--warn); }
.shard-group h3 { font-size: 13px; margin: 6px 0; font-weight: 600; }
.shard-grid { display: grid; grid-template-columns: repeat(30, 1fr); gap: 2px; }
.shard { height: 16px; border-radius: 2px; background: #d5d9e0; }
.shard[data-owner=""] { background: repeating-linear-gradient(45deg, #d5d9e0 0 3px, #fff 3px 6px); }
.shard[data-draining="true"] { outline: 2px solid var(--warn); outline-offset: -2px; }
#legend { display: flex; flex-wrap: wrap; gap: 14px; list-style: none;
          padding: 0; margin: 8px 0 0; }
.summary { color: var(--muted); margin: 0 0 6px; }
.empty { color: var(--muted); font-style: italic; }
</style>
</head>
<body>
<header>
  <h1>caf-cluster</h1>
  <span class="node">node <span id="node">?</span></span>
  <form id="token-form" autocomplete="off">
    <input id="token-input" type="password" placeholder="bearer token">
    <button type="submit">use</button>
  </form>
  <span id="status" data-state="idle">connecting</span>
</header>
<main>
  <section id="runners">
    <h2>Runners</h2>
    <p class="summary"><span id="runner-count">0</span> registered,
      <span id="runner-alive-count">0</span> alive</p>
    <table><thead><tr><th>address</th><th>state</th><th class="num">shards</th>
      <th class="num">heartbeat age</th><th class="num">machine</th></tr></thead>
      <tbody id="runner-rows"></tbody></table>
  </section>
  <section id="entities">
    <h2>Entities on this node</h2>
    <p class="summary"><span id="active-shards">0</span> shards served here,
      <span id="running-singletons">0</span> singletons running here</p>
    <table><thead><tr><th>entity type</th><th class="num">resident</th>
      <th class="num">processed</th><th class="num">failed</th>
      <th class="num">mailbox full</th></tr></thead>
      <tbody id="entity-rows"></tbody></table>
  </section>
  <section id="shards" class="wide">
    <h2>Shard map</h2>
    <p class="summary"><span id="shard-owned-count">0</span> of
      <span id="shard-count">0</span> shards owned; hatched: no owner,
      orange frame: owner draining</p>
    <div id="shard-groups"></div>
    <ul id="legend"></ul>
  </section>
  <section id="backlog">
    <h2>Persisted backlog</h2>
    <p class="summary"><span id="backlog-total">-</span> unprocessed messages in
      <span id="backlog-shards">-</span> shards</p>
    <table><thead><tr><th>entity type</th><th class="num">pending</th></tr></thead>
      <tbody id="backlog-rows"></tbody></table>
  </section>
  <section id="singletons">
    <h2>Singletons and crons</h2>
    <table><thead><tr><th>singleton</th><th>shard</th><th>holder</th></tr></thead>
      <tbody id="singleton-rows"></tbody></table>
    <table><thead><tr><th>cron</th><th>holder</th><th>next tick (UTC)</th>
      <th class="num">ticks stored</th></tr></thead>
      <tbody id="cron-rows"></tbody></table>
  </section>
</main>
<script>
"use strict";
const tokenKey = "caf-cluster-token";
const palette = ["#3f6fd8", "#e0663d", "#2fa36b", "#9b59b6", "#d4a017", "#17a2b8",
                 "#c2185b", "#6d8c00", "#8d6e63", "#5c6bc0", "#00897b", "#f06292"];
(function takeTokenFromFragment() {
  // Not URLSearchParams: it reads '+' as a space, and base64 tokens have '+'.
  const m = /(?:^|&)token=([^&]*)/.exec(location.hash.slice(1));
  let token = m ? m[1] : "";
  try { token = decodeURIComponent(token); } catch (e) {}
  if (token) {
    sessionStorage.setItem(tokenKey, token);
    // Out of the address bar and the history.
    history.replaceState(null, "", location.pathname + location.search);
  }
})();
document.getElementById("token-form").addEventListener("submit", ev => {
  ev.preventDefault();
  const input = document.getElementById("token-input");
  sessionStorage.setItem(tokenKey, input.value.trim());
  input.value = "";
  poll();
});
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "style") node.style.cssText = v;
    else node.setAttribute(k, v);
  }
  for (const c of children)
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
function fill(id, rows, emptyText, columns) {
  const body = document.getElementById(id);
  body.replaceChildren(...(rows.length ? rows
    : [el("tr", {}, el("td", {class: "empty", colspan: String(columns)}, emptyText))]));
}
function setText(id, value) { document.getElementById(id).textContent = String(value); }
function setStatus(state, text) {
  const s = document.getElementById("status");
  s.dataset.state = state;
  s.textContent = text;
}
// A span of ms as "3 s", "4 min", "2 h 5 min" or "3 d".
function span(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor(s % 3600 / 60) + " min";
  return Math.floor(s / 86400) + " d";
}
// An instant in UTC (the date only when it is not the reading's day) and
// relative to the reading, in the cluster's clock rather than the browser's.
function nextTick(ms, readAt) {
  if (ms === null || ms === undefined) return "none stored";
  const at = new Date(ms), now = new Date(readAt);
  if (isNaN(at.getTime()) || isNaN(now.getTime())) return String(ms) + " ms";
  const iso = at.toISOString();
  const time = (iso.slice(0, 10) === now.toISOString().slice(0, 10) ? ""
                : iso.slice(0, 10) + " ") + iso.slice(11, 19);
  const d = ms - readAt;
  return time + (d >= 1000 ? " (in " + span(d) + ")"
                 : d <= -1000 ? " (due " + span(-d) + " ago)" : " (due now)");
}
function colours(data) {
  const names = new Set(data.runners.map(r => r.address));
  for (const g of data.shard_groups)
    for (const s of g.shards) if (s.owner) names.add(s.owner);
  const map = new Map();
  [...names].sort().forEach((n, i) => map.set(n, palette[i % palette.length]));
  return map;
}
function render(data) {
  const colour = colours(data);
  setText("node", data.node);
  const alive = data.runners.filter(r => r.alive).length;
  setText("runner-count", data.runners.length);
  setText("runner-alive-count", alive);
  fill("runner-rows", data.runners.map(r => {
    const state = !r.alive ? "dead" : r.draining ? "draining" : !r.healthy ? "unhealthy" : "alive";
    return el("tr", {class: "runner", "data-address": r.address, "data-alive": String(r.alive),
                     "data-healthy": String(r.healthy), "data-draining": String(r.draining)},
      el("td", {}, el("span", {class: "dot", style: "background:" + colour.get(r.address)}), r.address),
      el("td", {}, el("span", {class: "tag " + state}, state)),
      el("td", {class: "num runner-shards"}, r.shards),
      el("td", {class: "num"}, (r.heartbeat_age_ms / 1000).toFixed(1) + " s"),
      el("td", {class: "num"}, r.machine_id));
  }), data.runner_storage ? "no runner registered" : "no runner storage (single runner)", 5);
  let total = 0, owned = 0;
  const groups = document.getElementById("shard-groups");
  groups.replaceChildren(...data.shard_groups.map(g => {
    const grid = el("div", {class: "shard-grid"});
    for (const s of g.shards) {
      ++total;
      if (s.owner) ++owned;
      grid.append(el("div", {class: "shard", "data-shard": s.shard, "data-owner": s.owner || "",
                             "data-draining": String(s.draining),
                             title: s.shard + ": " + (s.owner || "no owner") + ", epoch " + s.epoch,
                             style: s.owner ? "background:" + colour.get(s.owner) : ""}));
    }
    return el("div", {class: "shard-group", "data-group": g.group},
              el("h3", {}, g.group + " (" + g.shards.length + ")"), grid);
  }));
  setText("shard-count", total);
  setText("shard-owned-count", owned);
  document.getElementById("legend").replaceChildren(...[...colour.entries()].map(([n, c]) =>
    el("li", {"data-owner": n}, el("span", {class: "dot", style: "background:" + c}), n)));
  setText("active-shards", data.active_shards);
  setText("running-singletons", data.running_singletons);
  fill("entity-rows", data.entity_types.map(t =>
    el("tr", {class: "entity-type", "data-entity-type": t.entity_type},
      el("td", {}, t.entity_type), el("td", {class: "num resident"}, t.resident),
      el("td", {class: "num"}, t.processed), el("td", {class: "num"}, t.failed),
      el("td", {class: "num"}, t.mailbox_full))), "no entity type registered here", 5);
  if (data.backlog) {
    setText("backlog-total", data.backlog.total);
    setText("backlog-shards", data.backlog.shards);
    fill("backlog-rows", data.backlog.per_entity_type.map(b =>
      el("tr", {class: "backlog", "data-entity-type": b.entity_type},
        el("td", {}, b.entity_type), el("td", {class: "num"}, b.pending))),
      "nothing waiting", 2);
  } else {
    setText("backlog-total", "-");
    setText("backlog-shards", "-");
    fill("backlog-rows", [], "no message storage", 2);
  }
  fill("singleton-rows", data.singletons.map(s =>
    el("tr", {class: "singleton", "data-name": s.name, "data-holder": s.holder || ""},
      el("td", {}, s.name), el("td", {}, s.shard), el("td", {}, s.holder || "none"))),
    "no singleton registered on this node", 3);
  fill("cron-rows", data.crons.map(c =>
    el("tr", {class: "cron", "data-name": c.name, "data-holder": c.holder || ""},
      el("td", {}, c.name), el("td", {}, c.holder || "unknown"),
      el("td", {class: "next-tick",
                "data-next-tick-ms": c.next_tick_ms == null ? "" : String(c.next_tick_ms)},
         nextTick(c.next_tick_ms, data.read_at_ms)),
      el("td", {class: "num"}, c.pending_ticks))), "no cron", 4);
}
let timer = null;
async function poll() {
  clearTimeout(timer);
  const token = sessionStorage.getItem(tokenKey);
  try {
    const res = await fetch("/api/cluster", {cache: "no-store",
      headers: token ? {"Authorization": "Bearer " + token} : {}});
    if (res.status === 401) {
      setStatus("error", token ? "token refused" : "token needed");
    } else if (!res.ok) {
      let why = "HTTP " + res.status;
      try { why = (await res.json()).error || why; } catch (e) {}
      setStatus("error", why);
    } else {
      render(await res.json());
      setStatus("ok", "updated " + new Date().toLocaleTimeString());
    }
  } catch (e) {
    setStatus("error", "unreachable");
  }
  timer = setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
)html";

} // namespace

std::string_view dashboard_page() noexcept {
  return page;
}

} // namespace caf_cluster::gateway::internal
