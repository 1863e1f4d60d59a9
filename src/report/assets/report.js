/* amlscreen report: renders the embedded case data. Every data value reaches the page through
   textContent or setAttribute, never as markup. */
(function () {
  "use strict";

  var PAGE_SIZE = 50;
  var CHANNEL_COLORS = {
    CASH: "#d97706", WIRE: "#2563eb", ACH: "#0d9488", CHEQUE: "#7c3aed", CARD: "#db2777",
    MOBILE: "#16a34a", CRYPTO: "#111827", INTERNAL: "#64748b", OTHER: "#a3a3a3"
  };
  var BAND_RANK = { critical: 0, high: 1, medium: 2, low: 3 };
  var SVG_NS = "http://www.w3.org/2000/svg";

  var data = JSON.parse(document.getElementById("case-data").textContent);
  var rules = JSON.parse(document.getElementById("rule-data").textContent);
  var cases = data.cases;
  var labels = data.typologyLabels || {};
  var byId = {};
  cases.forEach(function (c) {
    byId[c.id] = c;
    c.search = [c.id].concat(c.acc, c.names).join("\n").toLowerCase();
    c.totalNum = parseFloat(c.total) || 0;
    c.lastTime = Date.parse(c.last) || 0;
  });

  var state = { q: "", band: "", typology: "", sort: "score-desc", page: 0 };

  /* ---------- small DOM helpers ---------- */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") node.textContent = attrs[k];
        else if (k === "cls") node.className = attrs[k];
        else node.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function byIdEl(id) { return document.getElementById(id); }

  function money(text) {
    var n = parseFloat(text);
    if (!isFinite(n)) return String(text);
    return n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 6 });
  }
  function count(n) { return Number(n).toLocaleString("en-US"); }
  function day(ts) { return String(ts || "").slice(0, 10); }
  function when(ts) { return String(ts || "").replace("T", " ").replace("Z", ""); }
  function label(t) { return labels[t] || t; }
  function band(b) { return el("span", { cls: "badge band-" + b, text: b }); }
  function typologyTags(list) {
    return el("span", null, list.map(function (t) { return el("span", { cls: "tag", title: t, text: label(t) }); }));
  }

  /* ---------- case list ---------- */
  function filtered() {
    var q = state.q.trim().toLowerCase();
    var list = cases.filter(function (c) {
      if (state.band && c.band !== state.band) return false;
      if (state.typology && c.typ.indexOf(state.typology) < 0) return false;
      if (q && c.search.indexOf(q) < 0) return false;
      return true;
    });
    var cmp = {
      "score-desc": function (a, b) { return b.score - a.score || (a.id < b.id ? -1 : 1); },
      "score-asc": function (a, b) { return a.score - b.score || (a.id < b.id ? -1 : 1); },
      "total-desc": function (a, b) { return b.totalNum - a.totalNum || (a.id < b.id ? -1 : 1); },
      "alerts-desc": function (a, b) { return b.alerts.length - a.alerts.length || b.score - a.score || (a.id < b.id ? -1 : 1); },
      "last-desc": function (a, b) { return b.lastTime - a.lastTime || (a.id < b.id ? -1 : 1); },
      "band-asc": function (a, b) { return BAND_RANK[a.band] - BAND_RANK[b.band] || b.score - a.score || (a.id < b.id ? -1 : 1); },
      "typology-asc": function (a, b) {
        var x = a.typ.map(label).sort().join(", "), y = b.typ.map(label).sort().join(", ");
        return x < y ? -1 : x > y ? 1 : b.score - a.score || (a.id < b.id ? -1 : 1);
      },
      "id-asc": function (a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; }
    }[state.sort];
    return list.sort(cmp);
  }

  function subjectText(c) {
    var who = c.acc.join(", ");
    return c.names.length ? who + " · " + c.names.join(", ") : who;
  }

  function renderList() {
    var list = filtered();
    var pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * PAGE_SIZE;
    var rows = byIdEl("case-rows");
    clear(rows);
    list.slice(start, start + PAGE_SIZE).forEach(function (c) {
      var link = el("a", { href: "#case=" + encodeURIComponent(c.id), text: c.id });
      var tr = el("tr", { "data-case": c.id }, [
        el("td", null, [link]),
        el("td", null, [band(c.band)]),
        el("td", { cls: "num score", text: c.score.toFixed(1) }),
        el("td", { text: subjectText(c) }),
        el("td", null, [typologyTags(c.typ)]),
        el("td", { cls: "num", text: count(c.alerts.length) }),
        el("td", { cls: "num", text: count(c.txns.length) }),
        el("td", { cls: "num", text: money(c.total) + " " + c.cur }),
        el("td", { text: day(c.first) + " → " + day(c.last) })
      ]);
      tr.addEventListener("click", function (ev) {
        if (ev.target.tagName !== "A") location.hash = "case=" + encodeURIComponent(c.id);
      });
      rows.appendChild(tr);
    });
    if (list.length === 0) {
      rows.appendChild(el("tr", null, [el("td", { colspan: "9", cls: "empty", text: "No cases match these filters." })]));
    }
    var counter = byIdEl("case-count");
    counter.setAttribute("data-count", String(list.length));
    counter.setAttribute("data-total", String(cases.length));
    counter.textContent = list.length === cases.length
      ? count(cases.length) + " cases"
      : count(list.length) + " of " + count(cases.length) + " cases";
    byIdEl("page-info").textContent = list.length
      ? "Rows " + count(start + 1) + "–" + count(Math.min(start + PAGE_SIZE, list.length)) + " · page " + (state.page + 1) + " of " + pages
      : "";
    byIdEl("page-prev").disabled = state.page === 0;
    byIdEl("page-next").disabled = state.page >= pages - 1;
  }

  function setupList() {
    var present = {};
    cases.forEach(function (c) { c.typ.forEach(function (t) { present[t] = true; }); });
    var select = byIdEl("filter-typology");
    Object.keys(present).sort().forEach(function (t) {
      select.appendChild(el("option", { value: t, text: label(t) }));
    });
    byIdEl("filter-text").addEventListener("input", function (e) { state.q = e.target.value; state.page = 0; renderList(); });
    byIdEl("filter-band").addEventListener("change", function (e) { state.band = e.target.value; state.page = 0; renderList(); });
    select.addEventListener("change", function (e) { state.typology = e.target.value; state.page = 0; renderList(); });
    byIdEl("sort-by").addEventListener("change", function (e) { state.sort = e.target.value; state.page = 0; renderList(); });
    byIdEl("page-prev").addEventListener("click", function () { state.page -= 1; renderList(); });
    byIdEl("page-next").addEventListener("click", function () { state.page += 1; renderList(); });
    var headerSort = { id: "id-asc", band: "band-asc", score: "score-desc", typology: "typology-asc", alerts: "alerts-desc", total: "total-desc", last: "last-desc" };
    Array.prototype.forEach.call(document.querySelectorAll("#case-table th[data-sort]"), function (th) {
      th.addEventListener("click", function () {
        var key = headerSort[th.getAttribute("data-sort")];
        state.sort = key === "score-desc" && state.sort === "score-desc" ? "score-asc" : key;
        var sortSelect = byIdEl("sort-by");
        if (sortSelect.querySelector("option[value='" + state.sort + "']")) sortSelect.value = state.sort;
        state.page = 0;
        renderList();
      });
    });
  }

  /* ---------- timeline ---------- */
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  /* Ticks on whole UTC days (or hours for short spans), at most about eight. */
  function timeTicks(t0, t1) {
    var HOUR = 3600 * 1000, DAY = 24 * HOUR;
    var span = t1 - t0, unit, steps, fmt;
    if (span >= 2 * DAY) {
      unit = DAY; steps = [1, 2, 7, 14, 28, 56, 91, 182, 364];
      fmt = function (iso) { return iso.slice(0, 10); };
    } else {
      unit = HOUR; steps = [1, 2, 3, 6, 12, 24];
      fmt = function (iso) { return iso.slice(5, 10) + " " + iso.slice(11, 16); };
    }
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) {
      if (span / (steps[i] * unit) <= 8) { step = steps[i]; break; }
    }
    var every = step * unit;
    var ticks = [];
    for (var t = Math.ceil(t0 / every) * every; t <= t1; t += every) {
      ticks.push({ t: t, label: fmt(new Date(t).toISOString()) });
    }
    return ticks;
  }

  function timeline(c) {
    var W = 1000, H = 250, L = 78, R = 18, T = 14, B = 36;
    var points = c.txns.map(function (t) {
      return { t: Date.parse(t[1]), v: parseFloat(t[4]) || 0, txn: t };
    }).filter(function (p) { return isFinite(p.t); });
    var root = svg("svg", { "class": "timeline", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Evidence transactions over time" });
    root.appendChild(svg("title", {}, "Evidence transactions: amount (" + c.cur + ") over time, coloured by channel"));
    if (points.length === 0) {
      root.appendChild(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "No evidence transactions with a timestamp"));
      return root;
    }
    var t0 = Math.min.apply(null, points.map(function (p) { return p.t; }));
    var t1 = Math.max.apply(null, points.map(function (p) { return p.t; }));
    var span = t1 - t0;
    var pad = span > 0 ? span * 0.04 : 12 * 3600 * 1000;
    t0 -= pad; t1 += pad;
    var vmax = niceMax(Math.max.apply(null, points.map(function (p) { return p.v; })));
    function x(t) { return L + (t - t0) / (t1 - t0) * (W - L - R); }
    function y(v) { return T + (1 - v / vmax) * (H - T - B); }

    for (var i = 0; i <= 4; i++) {
      var v = vmax * i / 4;
      root.appendChild(svg("line", { "class": "gridline", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      root.appendChild(svg("text", { x: L - 8, y: y(v) + 4, "text-anchor": "end" }, v.toLocaleString("en-US", { maximumFractionDigits: 0 })));
    }
    timeTicks(t0, t1).forEach(function (tick) {
      root.appendChild(svg("line", { "class": "gridline", x1: x(tick.t), x2: x(tick.t), y1: T, y2: H - B }));
      root.appendChild(svg("line", { "class": "axis", x1: x(tick.t), x2: x(tick.t), y1: H - B, y2: H - B + 5 }));
      root.appendChild(svg("text", { x: x(tick.t), y: H - B + 18, "text-anchor": "middle" }, tick.label));
    });
    root.appendChild(svg("line", { "class": "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
    root.appendChild(svg("line", { "class": "axis", x1: L, x2: L, y1: T, y2: H - B }));
    root.appendChild(svg("text", { x: 14, y: T + (H - T - B) / 2, transform: "rotate(-90 14 " + (T + (H - T - B) / 2) + ")", "text-anchor": "middle" }, "Amount (" + c.cur + ")"));

    points.forEach(function (p) {
      var color = CHANNEL_COLORS[p.txn[5]] || CHANNEL_COLORS.OTHER;
      root.appendChild(svg("line", { "class": "stem", x1: x(p.t), x2: x(p.t), y1: H - B, y2: y(p.v), stroke: color }));
      var dot = svg("circle", { cx: x(p.t), cy: y(p.v), r: 5.5, fill: color, "data-txn": p.txn[0] });
      dot.appendChild(svg("title", {}, p.txn[0] + " · " + when(p.txn[1]) + " · " + p.txn[5] + " · " + money(p.txn[2]) + " " + p.txn[3] +
        "\n" + (p.txn[7] || p.txn[6] || "?") + " → " + (p.txn[10] || p.txn[9] || "?")));
      root.appendChild(dot);
    });
    return root;
  }

  function legend(c) {
    var seen = {};
    c.txns.forEach(function (t) { seen[t[5]] = true; });
    return el("div", { cls: "legend", style: "display:flex;gap:14px;flex-wrap:wrap;margin:6px 4px 0;font-size:.85rem" },
      Object.keys(CHANNEL_COLORS).filter(function (ch) { return seen[ch]; }).map(function (ch) {
        var swatch = el("span", { style: "display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;background:" + CHANNEL_COLORS[ch] });
        return el("span", { cls: "legend-item", "data-channel": ch }, [swatch, ch]);
      }));
  }

  /* ---------- money-flow graph ---------- */
  /* Parties of the evidence transactions as nodes, transfers summed per (from, to) as edges.
     Drawn for cases with at least FLOW_MIN_PARTIES parties; at most FLOW_MAX_NODES nodes, the
     parties beyond the cap (farthest from the subject, then latest) gathered in one "N more"
     node. Layout is a pure function of the case data: no randomness, no measurement. */
  var FLOW_MIN_PARTIES = 3, FLOW_MAX_NODES = 30, FLOW_CIRCLE_MAX = 12, FLOW_ROWS = 10;
  var MICROS = BigInt(1000000);
  var BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

  /* A plain decimal (at most six places) as BigInt micros; null when it is not one. */
  function micros(text) {
    var m = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(String(text).replace(/,/g, ""));
    if (!m) return null;
    var v = BigInt(m[2]) * MICROS + BigInt(((m[3] || "") + "000000").slice(0, 6));
    return m[1] ? -v : v;
  }
  /* Micros as the report writes money: thousands separators, two to six decimals. */
  function microsText(v) {
    var sign = v < 0 ? "-" : "";
    if (v < 0) v = -v;
    var units = (v / MICROS).toString(), frac = (v % MICROS).toString();
    frac = ("000000" + frac).slice(-6).replace(/0{1,4}$/, "");
    return sign + units.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + frac;
  }
  /* Text for the graph with bidirectional controls dropped, so that a name cannot reorder the
     text drawn after it (the evidence table shows names as recorded). */
  function plain(text) { return String(text).replace(BIDI, ""); }
  /* At most n characters (code points) of a label; the whole label is in the tooltip. */
  function clip(text, n) {
    var chars = Array.from(plain(text));
    return chars.length > n ? chars.slice(0, n - 1).join("") + "…" : chars.join("");
  }

  function party(account, name, country, channel) {
    if (account) return { key: "a\u0000" + account, main: account, sub: [name, country].filter(Boolean).join(" · "), account: account };
    if (name || country) return { key: "n\u0000" + name + "\u0000" + country, main: name || "(no name)", sub: country ? country + " · no account" : "no account", account: "" };
    return { key: "u\u0000" + channel, main: "(no party)", sub: channel, account: "" };
  }

  /* Nodes in order of first appearance (transactions are in time order), edges per (from, to). */
  function flowData(c) {
    var subject = {};
    c.acc.forEach(function (a) { subject[a] = true; });
    var nodes = [], nodeAt = {}, edges = [], edgeAt = {}, selfTransfers = 0;
    function node(p) {
      if (!(p.key in nodeAt)) {
        nodeAt[p.key] = nodes.length;
        p.subject = !!(p.account && subject[p.account]);
        p.first = nodes.length;
        nodes.push(p);
      }
      return nodeAt[p.key];
    }
    c.txns.forEach(function (t) {
      var from = node(party(t[6], t[7], t[8], t[5]));
      var to = node(party(t[9], t[10], t[11], t[5]));
      if (from === to) { selfTransfers += 1; return; }
      var key = from + ">" + to;
      if (!(key in edgeAt)) { edgeAt[key] = edges.length; edges.push({ from: from, to: to, count: 0, total: BigInt(0), unknown: 0 }); }
      var e = edges[edgeAt[key]], v = micros(t[4]);
      e.count += 1;
      if (v === null) e.unknown += 1; else e.total += v;
    });
    return { nodes: nodes, edges: edges, selfTransfers: selfTransfers };
  }

  /* Breadth-first hop distances from the subject nodes along `next` (lists of node indexes). */
  function hops(n, starts, next) {
    var dist = new Array(n).fill(-1), queue = starts.slice();
    starts.forEach(function (s) { dist[s] = 0; });
    for (var q = 0; q < queue.length; q++) {
      next[queue[q]].forEach(function (m) { if (dist[m] < 0) { dist[m] = dist[queue[q]] + 1; queue.push(m); } });
    }
    return dist;
  }
  function adjacency(n, edges) {
    var out = [], inn = [], both = [];
    for (var i = 0; i < n; i++) { out.push([]); inn.push([]); both.push([]); }
    edges.forEach(function (e) { out[e.from].push(e.to); inn[e.to].push(e.from); both[e.from].push(e.to); both[e.to].push(e.from); });
    return { out: out, inn: inn, both: both };
  }

  /* Keeps the subject and the parties nearest to it (then earliest); the rest become one node. */
  function capFlow(g) {
    var n = g.nodes.length;
    if (n <= FLOW_MAX_NODES) return g;
    var subjects = g.nodes.filter(function (p) { return p.subject; }).map(function (p) { return p.first; });
    var dist = hops(n, subjects, adjacency(n, g.edges).both);
    var rank = g.nodes.map(function (p, i) { return i; }).sort(function (a, b) {
      var da = dist[a] < 0 ? n : dist[a], db = dist[b] < 0 ? n : dist[b];
      return da - db || a - b;
    });
    var kept = rank.slice(0, FLOW_MAX_NODES - 1).sort(function (a, b) { return a - b; });
    var map = new Array(n).fill(kept.length), nodes = [];
    kept.forEach(function (old, i) { map[old] = i; var p = g.nodes[old]; p.first = i; nodes.push(p); });
    var hidden = n - kept.length;
    nodes.push({ key: "more", main: hidden + " more", sub: "parties not drawn", account: "", subject: false, more: true, first: kept.length });
    var edges = [], edgeAt = {}, inside = 0;
    g.edges.forEach(function (e) {
      var from = map[e.from], to = map[e.to];
      if (from === to) { inside += e.count; return; }
      var key = from + ">" + to;
      if (!(key in edgeAt)) { edgeAt[key] = edges.length; edges.push({ from: from, to: to, count: 0, total: BigInt(0), unknown: 0 }); }
      var a = edges[edgeAt[key]];
      a.count += e.count; a.total += e.total; a.unknown += e.unknown;
    });
    nodes[kept.length].hiddenTransfers = inside;
    return { nodes: nodes, edges: edges, selfTransfers: g.selfTransfers, hidden: hidden };
  }

  var NODE_W = 164, NODE_H = 38, COL_W = 280, ROW_H = 64, PAD = 14;

  /* Positions: on a circle (subject at the top, then clockwise by hops along the money) when
     money leaves the subject and comes back to it, so the loop visibly closes; otherwise in
     columns by hops along the money: senders to the left of the subject, receivers to the right. */
  function flowLayout(g) {
    var n = g.nodes.length, adj = adjacency(n, g.edges);
    var subjects = g.nodes.filter(function (p) { return p.subject; }).map(function (p) { return p.first; });
    var down = hops(n, subjects, adj.out), up = hops(n, subjects, adj.inn);
    var closes = g.edges.some(function (e) { return g.nodes[e.to].subject && down[e.from] >= 0; });
    var pos = [];
    if (closes && n <= FLOW_CIRCLE_MAX) {
      var order = g.nodes.map(function (p, i) { return i; }).sort(function (a, b) {
        var da = down[a] < 0 ? n : down[a], db = down[b] < 0 ? n : down[b];
        return da - db || a - b;
      });
      var R = Math.max(120, Math.ceil(n * (NODE_W + 24) / (2 * Math.PI)));
      var cx = R + NODE_W / 2 + PAD, cy = R + NODE_H / 2 + PAD;
      order.forEach(function (node, k) {
        var angle = -Math.PI / 2 + 2 * Math.PI * k / n;
        pos[node] = { x: Math.round(cx + R * Math.cos(angle)), y: Math.round(cy + R * Math.sin(angle)) };
      });
      return { pos: pos, width: 2 * cx, height: 2 * cy, layout: "circle" };
    }
    var col = new Array(n).fill(null);
    for (var i = 0; i < n; i++) {
      if (down[i] >= 0 && (up[i] < 0 || down[i] <= up[i])) col[i] = down[i];
      else if (up[i] >= 0) col[i] = -up[i];
    }
    /* parties reached only sideways: one column before what they pay, or after what pays them */
    for (var changed = true; changed;) {
      changed = false;
      for (var j = 0; j < n; j++) {
        if (col[j] !== null) continue;
        var placed = adj.out[j].filter(function (m) { return col[m] !== null; });
        if (placed.length) { col[j] = Math.min.apply(null, placed.map(function (m) { return col[m]; })) - 1; changed = true; continue; }
        placed = adj.inn[j].filter(function (m) { return col[m] !== null; });
        if (placed.length) { col[j] = Math.max.apply(null, placed.map(function (m) { return col[m]; })) + 1; changed = true; }
      }
    }
    var known = col.filter(function (x) { return x !== null; });
    var last = known.length ? Math.max.apply(null, known) : 0;
    for (var k = 0; k < n; k++) if (col[k] === null) col[k] = last + 1;
    var first = Math.min.apply(null, col);
    var columns = [];
    col.forEach(function (x, node) { (columns[x - first] = columns[x - first] || []).push(node); });
    /* within a column: by the mean row of the neighbours already placed, then first appearance;
       a column of more than FLOW_ROWS parties continues in the next one */
    var rows = Math.min(FLOW_ROWS, Math.max.apply(null, columns.map(function (m) { return m ? m.length : 0; })));
    var row = new Array(n).fill(null), visual = [];
    columns.forEach(function (members) {
      if (!members) return;
      var key = members.map(function (m) {
        var placed = adj.both[m].map(function (o) { return row[o]; }).filter(function (r) { return r !== null; });
        return placed.length ? placed.reduce(function (s, r) { return s + r; }, 0) / placed.length : Infinity;
      });
      var sorted = members.map(function (m, idx) { return idx; }).sort(function (a, b) {
        return (key[a] === key[b] ? 0 : key[a] < key[b] ? -1 : 1) || members[a] - members[b];
      }).map(function (idx) { return members[idx]; });
      for (var s = 0; s < sorted.length; s += FLOW_ROWS) {
        var chunk = sorted.slice(s, s + FLOW_ROWS);
        chunk.forEach(function (m, r) { row[m] = r + (rows - chunk.length) / 2; });
        visual.push(chunk);
      }
    });
    var height = rows * ROW_H + 2 * PAD - (ROW_H - NODE_H);
    visual.forEach(function (chunk, v) {
      chunk.forEach(function (m) { pos[m] = { x: PAD + NODE_W / 2 + v * COL_W, y: Math.round(PAD + NODE_H / 2 + row[m] * ROW_H) }; });
    });
    return { pos: pos, width: 2 * PAD + NODE_W + (visual.length - 1) * COL_W, height: height, layout: "columns" };
  }

  /* Where the segment from a node's centre towards (dx, dy) leaves its box. */
  function boxExit(p, dx, dy) {
    var hw = NODE_W / 2 + 3, hh = NODE_H / 2 + 3;
    var t = Math.min(dx ? hw / Math.abs(dx) : Infinity, dy ? hh / Math.abs(dy) : Infinity);
    return { x: p.x + dx * t, y: p.y + dy * t };
  }
  function r1(v) { return Math.round(v * 10) / 10; }

  function flowGraph(c) {
    var g = flowData(c);
    if (g.nodes.length < FLOW_MIN_PARTIES) return null;
    g = capFlow(g);
    var lay = flowLayout(g), pos = lay.pos;
    var reverse = {};
    g.edges.forEach(function (e) { reverse[e.from + ">" + e.to] = true; });
    var maxTotal = g.edges.reduce(function (m, e) { return e.total > m ? e.total : m; }, BigInt(0));
    var root = svg("svg", {
      "class": "flow", viewBox: "0 0 " + lay.width + " " + lay.height, width: lay.width, height: lay.height,
      role: "img", "aria-label": "Money flow between the parties of the evidence",
      "data-nodes": g.nodes.length, "data-edges": g.edges.length, "data-layout": lay.layout
    });
    root.appendChild(svg("title", {}, "Money flow: " + g.nodes.length + " parties, " + g.edges.length + " transfers summed per sender and receiver, amounts in " + c.cur));
    var marker = svg("marker", { id: "flow-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 11, markerHeight: 11, orient: "auto-start-reverse", markerUnits: "userSpaceOnUse" });
    marker.appendChild(svg("path", { d: "M0,0 L10,5 L0,10 z", "class": "arrowhead" }));
    root.appendChild(svg("defs", {}, undefined)).appendChild(marker);

    var edgeLayer = svg("g", { "class": "edges" }), labelLayer = svg("g", { "class": "edge-labels" });
    g.edges.forEach(function (e) {
      var a = pos[e.from], b = pos[e.to];
      var dx = b.x - a.x, dy = b.y - a.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
      /* bend when the pair also pays back, or when the straight line would run along a column */
      var bend = reverse[e.to + ">" + e.from] ? 26 : (Math.abs(dx) < 1 && len > ROW_H * 1.5 ? 0.25 * len : 0);
      var mx = (a.x + b.x) / 2 - dy / len * bend, my = (a.y + b.y) / 2 + dx / len * bend;
      var s = boxExit(a, mx - a.x, my - a.y), t = boxExit(b, mx - b.x, my - b.y);
      var qx = 2 * mx - (s.x + t.x) / 2, qy = 2 * my - (s.y + t.y) / 2;
      var amount = e.unknown === e.count ? "amount unknown" : microsText(e.total) + (e.unknown ? " + " + e.unknown + " unknown" : "");
      var from = g.nodes[e.from], to = g.nodes[e.to];
      var width = maxTotal > 0 ? 1.2 + 3.3 * Math.sqrt(Number(e.total * BigInt(1000) / maxTotal) / 1000) : 1.5;
      var group = svg("g", { "class": "edge", "data-from": e.from, "data-to": e.to, "data-count": e.count, "data-total": amount });
      group.appendChild(svg("title", {}, plain(from.main + " → " + to.main + ": " + amount + " " + c.cur + " in " + e.count + (e.count === 1 ? " transfer" : " transfers"))));
      group.appendChild(svg("path", { d: "M" + r1(s.x) + "," + r1(s.y) + " Q" + r1(qx) + "," + r1(qy) + " " + r1(t.x) + "," + r1(t.y), "stroke-width": r1(width), "marker-end": "url(#flow-arrow)" }));
      edgeLayer.appendChild(group);
      /* the label sits beside the curve's midpoint, on its upper side (left side when steep) */
      var lx = (s.x + 2 * qx + t.x) / 4, ly = (s.y + 2 * qy + t.y) / 4;
      var nx = -(t.y - s.y), ny = t.x - s.x, nl = Math.sqrt(nx * nx + ny * ny) || 1;
      nx /= nl; ny /= nl;
      if (ny > 0 || (ny === 0 && nx > 0)) { nx = -nx; ny = -ny; }
      var anchor = Math.abs(nx) > 0.7 ? "end" : "middle";
      labelLayer.appendChild(svg("text", { x: r1(lx + nx * 7), y: r1(ly + ny * 7 + (anchor === "end" ? 4 : 0)), "text-anchor": anchor }, amount + (e.count > 1 ? " ×" + e.count : "")));
    });
    root.appendChild(edgeLayer);
    root.appendChild(labelLayer);

    var nodeLayer = svg("g", { "class": "nodes" });
    g.nodes.forEach(function (p, i) {
      var at = pos[i];
      var group = svg("g", { "class": "node" + (p.subject ? " subject" : "") + (p.more ? " more" : ""), "data-node": i, "data-account": p.account, transform: "translate(" + at.x + "," + at.y + ")" });
      var tip = p.more ? p.main + " parties (" + (p.hiddenTransfers || 0) + " transfers among them not drawn)" : [p.main, p.sub].filter(Boolean).join(" · ");
      group.appendChild(svg("title", {}, (p.subject ? "Subject: " : "") + plain(tip)));
      group.appendChild(svg("rect", { x: -NODE_W / 2, y: -NODE_H / 2, width: NODE_W, height: NODE_H, rx: 6 }));
      group.appendChild(svg("text", { "class": "main", x: 0, y: -3, "text-anchor": "middle" }, clip(p.main, 21)));
      group.appendChild(svg("text", { "class": "sub", x: 0, y: 12, "text-anchor": "middle" }, clip(p.sub, 26)));
      nodeLayer.appendChild(group);
    });
    root.appendChild(nodeLayer);
    var note = g.nodes.length + " parties · " + g.edges.length + " flows, each the sum of its transfers in " + c.cur + " (×N: N transfers)";
    if (g.hidden) note += " · " + g.hidden + " more parties beyond the first " + (FLOW_MAX_NODES - 1) + " gathered in one node";
    if (g.selfTransfers) note += " · " + g.selfTransfers + " transfers within one party not drawn";
    return el("figure", { cls: "flow-wrap" }, [root, el("figcaption", { cls: "muted", text: note })]);
  }

  /* ---------- case view ---------- */
  function fact(k, v) { return el("div", { cls: "fact" }, [el("div", { cls: "k", text: k }), el("div", { text: v })]); }

  function ruleDoc(ruleId) {
    var r = rules[ruleId];
    if (!r) return el("p", { cls: "muted", text: "No documentation for rule " + ruleId + " in this run." });
    var params = r.parameters && r.parameters.length
      ? el("ul", null, r.parameters.map(function (p) { return el("li", null, [el("span", { cls: "mono", text: p[0] }), " = ", el("span", { cls: "mono", text: p[1] })]); }))
      : el("span", { cls: "muted", text: "none" });
    var refs = r.references && r.references.length
      ? el("ul", null, r.references.map(function (ref) { return el("li", { text: ref }); }))
      : el("span", { cls: "muted", text: "none" });
    return el("dl", null, [
      el("dt", { text: "Detects" }), el("dd", { text: r.detects || "" }),
      el("dt", { text: "Why it matters" }), el("dd", { text: r.why || "" }),
      el("dt", { text: "Parameters" }), el("dd", null, [params]),
      el("dt", { text: "References" }), el("dd", null, [refs]),
      el("dt", { text: "Rule pack" }), el("dd", { text: [r.pack, r.kind].filter(Boolean).join(" · ") })
    ]);
  }

  function alertCard(c, a) {
    var r = rules[a[1]] || {};
    var head = el("div", { cls: "case-head" }, [
      el("span", { cls: "title", text: a[1] + (r.title ? " — " + r.title : "") }),
      el("span", { cls: "tag", text: label(a[2]) }),
      a[8] ? band(String(a[8]).toLowerCase()) : null,
      el("span", { cls: "muted", text: "score " + Number(a[7]).toFixed(1) })
    ]);
    var facts = el("dl", null, [
      el("dt", { text: "Summary" }), el("dd", { text: a[9] }),
      el("dt", { text: "Window" }), el("dd", { text: when(a[3]) + " → " + when(a[4]) }),
      el("dt", { text: "Evidence" }), el("dd", { text: count(a[5]) + " transactions, " + money(a[6]) + " " + c.cur }),
      el("dt", { text: "Alert id" }), el("dd", { cls: "mono", text: a[0] })
    ]);
    (a[10] || []).forEach(function (d) {
      facts.appendChild(el("dt", { text: d[0] }));
      facts.appendChild(el("dd", { text: d[1] }));
    });
    return el("div", { cls: "alert-card", "data-alert": a[0] }, [head, facts, el("h3", { cls: "section-title", text: "About this rule" }), ruleDoc(a[1])]);
  }

  function partyText(name, account, country) {
    var parts = [name || "(no name)"];
    if (account) parts.push(account);
    if (country) parts.push(country);
    return parts.join(" · ");
  }

  function table(headers, rows) {
    return el("table", { cls: "grid compact" }, [
      el("thead", null, [el("tr", null, headers.map(function (h) {
        return el("th", { cls: h.charAt(0) === "#" ? "num" : "", text: h.replace(/^#/, "") });
      }))]),
      el("tbody", null, rows)
    ]);
  }

  function renderCase(c) {
    var view = byIdEl("case-view");
    clear(view);
    var rulesByTxn = {};
    c.alerts.forEach(function (a) {
      (a[11] || []).forEach(function (i) { (rulesByTxn[i] = rulesByTxn[i] || {})[a[1]] = true; });
    });

    var copy = el("button", { type: "button", cls: "copy", text: "Copy narrative" });
    copy.addEventListener("click", function () {
      if (navigator.clipboard) navigator.clipboard.writeText(c.narr).catch(function () {});
    });

    view.appendChild(el("div", { cls: "panel" }, [
      el("a", { cls: "back", href: "#", text: "← All cases" }),
      el("div", { cls: "case-head" }, [
        el("h2", { text: c.id }), band(c.band),
        el("span", { cls: "case-score", text: c.score.toFixed(1) }), el("span", { cls: "muted", text: "risk score" }),
        typologyTags(c.typ)
      ]),
      c.why && c.why.length ? el("p", { cls: "muted score-why", text: "Why " + c.score.toFixed(1) + ": " + c.why.map(function (r) {
        return (r[1] >= 0 ? "+" : "") + Number(r[1]).toFixed(1) + " " + r[2];
      }).join("; ") }) : null,
      el("div", { cls: "facts" }, [
        fact("Subject account" + (c.acc.length > 1 ? "s" : ""), c.acc.join(", ")),
        fact("Names seen", c.names.join(", ") || "—"),
        fact("Countries", c.ctry.join(", ") || "—"),
        fact("Activity", when(c.first) + " → " + when(c.last)),
        fact("Evidence total", money(c.total) + " " + c.cur),
        fact("Alerts", count(c.alerts.length)),
        fact("Transactions", count(c.txns.length)),
        fact("Counterparties", count(c.cps.length))
      ]),
      el("div", { cls: "panel-head" }, [el("h3", { text: "Narrative" }), copy]),
      el("p", { cls: "narrative", id: "narrative", text: c.narr }),
      c.missing && c.missing.length ? el("p", { cls: "muted", text: "Evidence not found in the transaction table: " + c.missing.join(", ") }) : null
    ]));

    var flow = flowGraph(c);
    view.appendChild(el("div", { cls: "panel" }, [
      el("div", { cls: "panel-head" }, [
        el("h2", { text: flow ? "Timeline and money flow" : "Timeline" }),
        el("span", { cls: "muted", text: "amount in " + c.cur + " by time, coloured by channel" + (flow ? "; who paid whom, subject highlighted" : "") })
      ]),
      el("div", { cls: "timeline-row" }, [el("div", { cls: "timeline-wrap" }, [timeline(c), legend(c)]), flow])
    ]));

    view.appendChild(el("div", { cls: "panel" }, [el("div", { cls: "panel-head" }, [el("h2", { text: "Alerts" })])]
      .concat(c.alerts.map(function (a) { return alertCard(c, a); }))));

    var cpRows = c.cps.map(function (p) {
      return el("tr", null, [
        el("td", { text: p[1] || "(no name)" }), el("td", { cls: "mono", text: p[0] }), el("td", { text: p[2] }),
        el("td", { cls: "num", text: count(p[3]) }), el("td", { cls: "num", text: money(p[4]) }),
        el("td", { cls: "num", text: money(p[5]) })
      ]);
    });
    if (!cpRows.length) cpRows.push(el("tr", null, [el("td", { colspan: "6", cls: "muted", text: "Only subject accounts appear in the evidence." })]));
    view.appendChild(el("div", { cls: "panel" }, [
      el("div", { cls: "panel-head" }, [el("h2", { text: "Counterparties" }), el("span", { cls: "muted", text: "amounts in " + c.cur })]),
      table(["Name", "Account", "Country", "#Txns", "#Received from", "#Sent to"], cpRows)
    ]));

    var txRows = c.txns.map(function (t, i) {
      var dot = el("span", { style: "display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;background:" + (CHANNEL_COLORS[t[5]] || CHANNEL_COLORS.OTHER) });
      return el("tr", { "data-txn": t[0] }, [
        el("td", { cls: "mono nowrap", text: when(t[1]) }), el("td", { cls: "mono", text: t[0] }),
        el("td", null, [dot, t[5]]),
        el("td", { cls: "num", text: money(t[2]) + " " + t[3] }), el("td", { cls: "num", text: money(t[4]) }),
        el("td", { text: partyText(t[7], t[6], t[8]) }), el("td", { text: partyText(t[10], t[9], t[11]) }),
        el("td", { text: t[12] }),
        el("td", null, Object.keys(rulesByTxn[i] || {}).sort().map(function (r) { return el("span", { cls: "tag mono", text: r }); }))
      ]);
    });
    view.appendChild(el("div", { cls: "panel" }, [
      el("div", { cls: "panel-head" }, [el("h2", { text: "Evidence transactions" }), el("span", { cls: "muted", text: count(c.txns.length) + " transactions" })]),
      table(["Time (UTC)", "Transaction", "Channel", "#Amount", "#" + c.cur, "From", "To", "Branch", "Rules"], txRows)
    ]));
  }

  /* ---------- routing ---------- */
  function route() {
    var match = /^#case=(.+)$/.exec(location.hash);
    var id = match ? decodeURIComponent(match[1]) : "";
    var c = id ? byId[id] : null;
    var view = byIdEl("case-view");
    if (c) {
      renderCase(c);
      view.hidden = false;
      byIdEl("summary").hidden = true;
      byIdEl("case-list").hidden = true;
      document.title = c.id + " · amlscreen report";
      window.scrollTo(0, 0);
    } else {
      view.hidden = true;
      clear(view);
      byIdEl("summary").hidden = false;
      byIdEl("case-list").hidden = false;
      if (id) {
        view.hidden = false;
        view.appendChild(el("div", { cls: "panel empty", text: "Case " + id + " is not in this report." }));
      }
    }
  }

  setupList();
  renderList();
  route();
  window.addEventListener("hashchange", route);
})();
