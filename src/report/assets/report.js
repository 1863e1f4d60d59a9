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

    view.appendChild(el("div", { cls: "panel" }, [
      el("div", { cls: "panel-head" }, [el("h2", { text: "Timeline" }), el("span", { cls: "muted", text: "amount in " + c.cur + " by time, coloured by channel" })]),
      el("div", { cls: "timeline-wrap" }, [timeline(c), legend(c)])
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
