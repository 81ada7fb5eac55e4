// The assets-core HTML report. Everything shown comes from the JSON block #report-data and
// is put on the page with textContent, createElement and setAttribute, never as HTML: a name,
// description, message or sample row is always text. No network: nothing is fetched.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = { fresh: "#2f9e5a", stale: "#e6a700", missing: "#c3cad3", failed: "#d64545",
                    quarantined: "#8e44ad", unknown: "#7f8c8d", empty: "#e3e6ea" };
  const SEVERITY = ["failed", "quarantined", "stale", "unknown", "missing", "fresh"];
  const NEIGHBOURHOOD_ABOVE = 300;  // assets; above this the report opens on one neighbourhood
  const ROW_GAP = 18, LAYER_GAP = 90, SEARCH_RESULTS = 30;

  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const parsedAt = performance.now();
  const assets = DATA.assets;
  const W = DATA.layout.node_width, H = DATA.layout.node_height;
  const STATUS_OF = {};
  for (const [status, ch] of Object.entries(DATA.statuses)) STATUS_OF[ch] = status;
  const RANK_OF_CHAR = {};
  SEVERITY.forEach((status, i) => { RANK_OF_CHAR[DATA.statuses[status]] = i; });
  const ups = assets.map(() => []), downs = assets.map(() => []);
  const edgeMapping = new Map();
  for (const [u, d, mapping] of DATA.edges) { ups[d].push(u); downs[u].push(d); edgeMapping.set(u + ">" + d, mapping); }
  const byName = new Map(assets.map((a, i) => [a.name, i]));

  const state = { mode: assets.length > NEIGHBOURHOOD_ABOVE ? "neighbourhood" : "all", focus: null,
                  selected: null, depth: 2, shown: [], pos: new Map(), view: { x: 0, y: 0, k: 1 } };

  // -- small DOM helpers: text only ------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const child of children) append(node, child);
    return node;
  }
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function chip(status) { const c = el("span", { class: "chip" }); c.style.background = COLOURS[status]; return c; }
  const number = new Intl.NumberFormat("en");

  // -- graph closures --------------------------------------------------------------------------

  function closure(start, next, depth) {
    const seen = new Set([start]);
    let frontier = [start];
    for (let level = 0; frontier.length && (!depth || level < depth); level++) {
      const following = [];
      for (const i of frontier) for (const j of next[i]) if (!seen.has(j)) { seen.add(j); following.push(j); }
      frontier = following;
    }
    seen.delete(start);
    return seen;
  }

  // -- layout: Python's for the whole graph; a neighbourhood keeps its layers and order, compacted

  function positionsOf(indices) {
    const pos = new Map();
    if (indices.length === assets.length) {
      for (const i of indices) pos.set(i, { x: assets[i].x, y: assets[i].y });
      return { pos, width: DATA.layout.width, height: DATA.layout.height };
    }
    const columns = new Map();
    for (const i of indices) {
      const layer = assets[i].layer;
      if (!columns.has(layer)) columns.set(layer, []);
      columns.get(layer).push(i);
    }
    const layers = [...columns.keys()].sort((a, b) => a - b);
    const tallest = Math.max(0, ...[...columns.values()].map((c) => c.length));
    const height = tallest * (H + ROW_GAP) - ROW_GAP;
    layers.forEach((layer, c) => {
      const column = columns.get(layer).sort((a, b) => assets[a].rank - assets[b].rank);
      const offset = (height - (column.length * (H + ROW_GAP) - ROW_GAP)) / 2;
      column.forEach((i, r) => pos.set(i, { x: c * (W + LAYER_GAP), y: offset + r * (H + ROW_GAP) }));
    });
    return { pos, width: layers.length * (W + LAYER_GAP) - LAYER_GAP, height };
  }

  // -- drawing ---------------------------------------------------------------------------------

  const graph = document.getElementById("graph");
  let viewport = null;

  function shownIndices() {
    if (state.mode === "all" || state.focus === null) return assets.map((_, i) => i);
    const depth = state.depth;
    const set = new Set([state.focus, ...closure(state.focus, ups, depth), ...closure(state.focus, downs, depth)]);
    return [...set].sort((a, b) => a - b);
  }

  function draw() {
    const indices = shownIndices();
    const { pos, width, height } = positionsOf(indices);
    state.shown = indices;
    state.pos = pos;
    clear(graph);
    viewport = svg("g", { id: "viewport" });
    const edgeLayer = svg("g", { class: "edges" });
    const nodeLayer = svg("g", { class: "nodes" });
    const fragment = document.createDocumentFragment();
    for (const [u, d] of DATA.edges) {
      const a = pos.get(u), b = pos.get(d);
      if (!a || !b) continue;
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mid = (x1 + x2) / 2;
      const path = svg("path", { class: "edge", d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` });
      path.dataset.up = u;
      path.dataset.down = d;
      fragment.appendChild(path);
    }
    edgeLayer.appendChild(fragment);
    const nodes = document.createDocumentFragment();
    for (const i of indices) nodes.appendChild(drawNode(i, pos.get(i)));
    nodeLayer.appendChild(nodes);
    viewport.appendChild(edgeLayer);
    viewport.appendChild(nodeLayer);
    graph.appendChild(viewport);
    state.bounds = { width: Math.max(width, W), height: Math.max(height, H) };
    fit();
    highlight();
    showNotice();
  }

  function drawNode(i, p) {
    const a = assets[i];
    const g = svg("g", { class: "node status-" + a.status, transform: `translate(${p.x},${p.y})` });
    g.setAttribute("data-asset", a.name);
    g.dataset.index = i;
    const title = svg("title");
    title.textContent = a.name;
    g.appendChild(title);
    g.appendChild(svg("rect", { class: "box", width: W, height: H, rx: 5 }));
    g.appendChild(svg("rect", { class: "band", width: 6, height: H, rx: 2, fill: COLOURS[a.status] }));
    const name = svg("text", { class: "name", x: 14, y: 18 });
    name.textContent = a.name.length > 24 ? a.name.slice(0, 23) + "\u2026" : a.name;
    g.appendChild(name);
    const sub = svg("text", { class: "sub", x: 14, y: 34 });
    sub.textContent = nodeLine(a);
    g.appendChild(sub);
    if (a.freshness) {
      const f = svg("text", { class: a.freshness.passed ? "fresh-pass" : "fresh-fail", x: W - 8, y: 18, "text-anchor": "end" });
      f.textContent = a.freshness.passed ? "on time" : "late";
      const why = svg("title");
      why.textContent = "freshness: " + a.freshness.reason + " (max lag " + a.freshness.max_lag + ")";
      f.appendChild(why);
      g.appendChild(f);
    }
    drawMiniStrip(g, a, 14, 42, W - 22, 9);
    return g;
  }

  function nodeLine(a) {
    const parts = [a.partitions === 1 && a.keyset === null ? "unpartitioned" : number.format(a.partitions) + " partitions"];
    for (const status of SEVERITY) {
      if (status !== "fresh" && a.counts[status]) parts.push(number.format(a.counts[status]) + " " + status);
    }
    return parts.join(" \u00b7 ");
  }

  // The strip of a node: one pixel column per bucket of partitions, coloured by the worst status in it.
  function drawMiniStrip(g, a, x, y, width, height) {
    const strip = a.strip, n = strip.length;
    if (!n) { g.appendChild(svg("rect", { x, y, width, height, fill: COLOURS.empty })); return; }
    const buckets = Math.min(n, width);
    let runStart = 0, runChar = null;
    const flush = (end) => {
      if (runChar === null) return;
      g.appendChild(svg("rect", { x: x + runStart * width / buckets, y, height,
                                  width: (end - runStart) * width / buckets, fill: COLOURS[STATUS_OF[runChar]] }));
    };
    for (let b = 0; b < buckets; b++) {
      const worst = strip[bucket(a, b, buckets).worst];
      if (worst !== runChar) { flush(b); runStart = b; runChar = worst; }
    }
    flush(buckets);
    g.appendChild(svg("rect", { class: "strip-hit", x, y: y - 2, width, height: height + 4, fill: "transparent" }));
  }

  // Partitions lo..hi-1 of bucket b of an asset's strip, and the one with the worst status.
  function bucket(a, b, buckets) {
    const strip = a.strip, n = strip.length;
    const lo = Math.floor(b * n / buckets), hi = Math.max(lo + 1, Math.floor((b + 1) * n / buckets));
    let worst = lo;
    for (let k = lo + 1; k < hi; k++) if (RANK_OF_CHAR[strip[k]] < RANK_OF_CHAR[strip[worst]]) worst = k;
    return { lo, hi, worst };
  }

  function keyOf(a, k) {
    return a.keyset === null ? "(unpartitioned)" : DATA.keysets[a.keyset].keys[k];
  }

  function partitionText(a, k) {
    const reason = reasonOf(a, k);
    return `${keyOf(a, k)}\n${STATUS_OF[a.strip[k]]}` + (reason ? `: ${reason}` : "");
  }

  function showTooltip(text, event) {
    const tooltip = document.getElementById("tooltip");
    tooltip.textContent = text;
    tooltip.style.left = Math.min(event.clientX + 12, window.innerWidth - 430) + "px";
    tooltip.style.top = event.clientY + 14 + "px";
    tooltip.hidden = false;
  }

  // Hovering a node's strip names the partition under the pointer (the worst of a cell that holds several).
  graph.addEventListener("mousemove", (event) => {
    const hit = event.target;
    if (drag || !hit.classList || !hit.classList.contains("strip-hit")) {
      document.getElementById("tooltip").hidden = true;
      return;
    }
    const a = assets[Number(hit.parentNode.dataset.index)];
    const n = a.strip.length;
    if (!n) return;
    const box = hit.getBoundingClientRect();
    const buckets = Math.min(n, W - 22);
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((event.clientX - box.left) / box.width * buckets)));
    const { lo, hi, worst } = bucket(a, b, buckets);
    const span = hi - lo > 1 ? `${keyOf(a, lo)} .. ${keyOf(a, hi - 1)} (${hi - lo} partitions; the worst:)\n` : "";
    showTooltip(span + partitionText(a, worst), event);
  });
  graph.addEventListener("mouseleave", () => { document.getElementById("tooltip").hidden = true; });

  // -- pan and zoom ----------------------------------------------------------------------------

  function applyView() {
    if (viewport) viewport.setAttribute("transform", `translate(${state.view.x},${state.view.y}) scale(${state.view.k})`);
  }
  function fit() {
    const box = graph.getBoundingClientRect();
    const margin = 24, top = document.getElementById("notice").hidden ? 0 : 40;
    const k = Math.min(1, (box.width - 2 * margin) / state.bounds.width, (box.height - 2 * margin - top) / state.bounds.height);
    state.view.k = Math.max(k, 0.05);
    state.view.x = (box.width - state.bounds.width * state.view.k) / 2;
    state.view.y = top + margin + Math.max(0, (box.height - top - 2 * margin - state.bounds.height * state.view.k) / 2);
    applyView();
  }
  function centreOn(i) {
    const p = state.pos.get(i);
    if (!p) return;
    const box = graph.getBoundingClientRect();
    state.view.k = Math.max(state.view.k, 0.6);
    state.view.x = box.width / 2 - (p.x + W / 2) * state.view.k;
    state.view.y = box.height / 2 - (p.y + H / 2) * state.view.k;
    applyView();
  }
  graph.addEventListener("wheel", (event) => {
    event.preventDefault();
    const box = graph.getBoundingClientRect();
    const mx = event.clientX - box.left, my = event.clientY - box.top;
    const factor = Math.exp(-event.deltaY * 0.0015);
    const k = Math.min(4, Math.max(0.03, state.view.k * factor));
    state.view.x = mx - (mx - state.view.x) * (k / state.view.k);
    state.view.y = my - (my - state.view.y) * (k / state.view.k);
    state.view.k = k;
    applyView();
  }, { passive: false });
  let drag = null;
  graph.addEventListener("mousedown", (event) => {
    drag = { x: event.clientX, y: event.clientY, vx: state.view.x, vy: state.view.y, moved: false };
  });
  window.addEventListener("mousemove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; graph.classList.add("panning"); }
    state.view.x = drag.vx + dx;
    state.view.y = drag.vy + dy;
    applyView();
  });
  window.addEventListener("mouseup", () => { graph.classList.remove("panning"); setTimeout(() => { drag = null; }, 0); });
  graph.addEventListener("click", (event) => {
    if (drag && drag.moved) return;
    const node = event.target.closest ? event.target.closest(".node") : null;
    if (node) select(Number(node.dataset.index));
  });

  // -- selection: highlight upstream and downstream, show the page -----------------------------

  function select(i) {
    state.selected = i;
    highlight();
    renderDetails(i);
  }

  function highlight() {
    const i = state.selected;
    const upSet = i === null ? new Set() : closure(i, ups, 0);
    const downSet = i === null ? new Set() : closure(i, downs, 0);
    graph.classList.toggle("dim", i !== null);
    for (const node of graph.querySelectorAll(".node")) {
      const j = Number(node.dataset.index);
      node.classList.toggle("selected", j === i);
      node.classList.toggle("upstream", upSet.has(j));
      node.classList.toggle("downstream", downSet.has(j));
    }
    for (const path of graph.querySelectorAll(".edge")) {
      const u = Number(path.dataset.up), d = Number(path.dataset.down);
      path.classList.toggle("upstream", upSet.has(u) && (d === i || upSet.has(d)));
      path.classList.toggle("downstream", downSet.has(d) && (u === i || downSet.has(u)));
    }
  }

  function focusOn(i) {
    if (state.mode === "neighbourhood") { state.focus = i; draw(); }
    select(i);
    if (state.mode === "all") centreOn(i);
  }

  function showNotice() {
    const notice = document.getElementById("notice");
    clear(notice);
    const button = document.getElementById("show-all");
    if (state.mode === "neighbourhood" && state.focus !== null) {
      const depth = state.depth ? state.depth + (state.depth === 1 ? " step" : " steps") : "every step";
      append(notice, `${number.format(assets.length)} assets: showing the ${number.format(state.shown.length)} within ${depth} up and down of `);
      append(notice, el("strong", {}, assets[state.focus].name));
      append(notice, ". Search for another asset, or draw all.");
      notice.hidden = false;
      button.textContent = "Draw all";
    } else {
      notice.hidden = true;
      button.textContent = "Neighbourhood";
    }
  }

  // -- the asset's page ------------------------------------------------------------------------

  const details = document.getElementById("details");

  function renderDetails(i) {
    const a = assets[i];
    document.getElementById("tooltip").hidden = true;  // its strip is about to go
    clear(details);
    details.appendChild(el("h2", { id: "asset-name" }, a.name));
    append(details, el("div", {}, el("span", { class: "badge " + a.status }, a.status),
                      el("span", { class: "muted" }, `${a.kind} asset \u00b7 group ${a.group}`)));
    const counts = el("div", { class: "counts", id: "asset-counts" });
    append(counts, el("span", {}, number.format(a.partitions) + (a.partitions === 1 ? " partition" : " partitions")));
    for (const status of SEVERITY) if (a.counts[status]) append(counts, el("span", {}, chip(status), `${number.format(a.counts[status])} ${status}`));
    if (a.upstream_stale) append(counts, el("span", { class: "muted" }, `${number.format(a.upstream_stale)} fresh, rebuilt because an upstream is`));
    details.appendChild(counts);
    const facts = { "last publish": a.last_published_at || "never" };
    if (a.freshness) facts.freshness = `${a.freshness.passed ? "on time" : "late"}: ${a.freshness.reason} (max lag ${a.freshness.max_lag})`;
    details.appendChild(value(facts));

    details.appendChild(el("h3", {}, "Partitions"));
    details.appendChild(partitionStrip(a));

    details.appendChild(el("h3", {}, "Upstream and downstream"));
    details.appendChild(links("reads", ups[i], i, true));
    details.appendChild(links("read by", downs[i], i, false));
    if (state.mode === "neighbourhood" && state.focus !== i) {
      const button = el("button", { type: "button", id: "focus-here" }, "Show its neighbourhood");
      button.addEventListener("click", () => focusOn(i));
      details.appendChild(button);
    }

    const page = a.page || {};
    for (const [section, content] of Object.entries(page)) {
      details.appendChild(el("h3", {}, section.replace(/_/g, " ")));
      const renderer = SECTIONS[section] || value;
      details.appendChild(content === null || content === undefined ? el("p", { class: "muted" }, "not recorded") : renderer(content));
    }
  }

  function links(label, neighbours, i, upward) {
    const row = el("div", { class: "links" }, el("span", { class: "muted" }, label + ": "));
    if (!neighbours.length) append(row, el("span", { class: "muted" }, "nothing"));
    for (const j of neighbours) {
      const mapping = edgeMapping.get(upward ? j + ">" + i : i + ">" + j);
      const button = el("button", { type: "button", title: mapping ? "mapping: " + mapping : "" }, assets[j].name);
      button.addEventListener("click", () => focusOn(j));
      row.appendChild(button);
    }
    return row;
  }

  // Any JSON value as text: objects as definition lists, arrays as lists, recursively.
  function value(v) {
    if (v === null || v === undefined) return el("span", { class: "muted" }, "\u2014");
    if (Array.isArray(v)) {
      if (!v.length) return el("span", { class: "muted" }, "none");
      if (v.every((x) => x === null || typeof x !== "object")) return el("span", {}, v.map(String).join(", "));
      return el("ul", { class: "plain" }, ...v.map((x) => el("li", {}, value(x))));
    }
    if (typeof v === "object") {
      const dl = el("dl", { class: "kv" });
      for (const [k, x] of Object.entries(v)) { dl.appendChild(el("dt", {}, k.replace(/_/g, " "))); dl.appendChild(el("dd", {}, value(x))); }
      return dl;
    }
    return el("span", {}, String(v));
  }

  function table(headers, rows) {
    const t = el("table", {}, el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))));
    const body = el("tbody");
    for (const row of rows) body.appendChild(el("tr", {}, ...row.map((cell) => cell instanceof Node ? el("td", {}, cell) : el("td", {}, cell === null || cell === undefined ? "" : String(cell)))));
    t.appendChild(body);
    return t;
  }

  const SECTIONS = {
    describe(d) {
      const rest = Object.assign({}, d);
      const sql = rest.sql;
      delete rest.sql;
      const box = el("div", {}, value(rest));
      if (sql) box.appendChild(el("pre", { class: "sql" }, sql));
      return box;
    },
    checks(checks) {
      if (!checks.length) return el("p", { class: "muted" }, "no checks");
      const box = el("div", { id: "asset-checks" });
      box.appendChild(table(["check", "last result", "message", "partition", "at"], checks.map((c) => {
        const last = c.last;
        const badge = !last ? el("span", { class: "badge none" }, "never ran")
          : el("span", { class: "badge " + (last.passed ? "pass" : "fail") }, last.passed ? "passed" : (last.severity === "warn" ? "warned" : "failed"));
        return [c.check, badge, last ? last.message : "", last ? last.partition || "-" : "", last ? last.at : ""];
      })));
      for (const c of checks) {
        if (c.last && c.last.sample) {
          box.appendChild(el("p", { class: "muted" }, `failing rows of ${c.check} (sample):`));
          const columns = [...new Set(c.last.sample.flatMap((row) => Object.keys(row)))];
          box.appendChild(table(columns, c.last.sample.map((row) => columns.map((k) => typeof row[k] === "object" && row[k] !== null ? JSON.stringify(row[k]) : row[k]))));
        }
      }
      return box;
    },
    runs(runs) {
      if (!runs.length) return el("p", { class: "muted" }, "no run did work on it yet");
      const box = el("div", { id: "asset-runs" }, table(["run", "started", "status", "seconds", "partitions", "rows", "failed"], runs.map((r) =>
        [r.run_id, r.started_at, r.status, r.seconds, r.complete === false ? `${r.partitions}+` : r.partitions, r.rows, r.failed])));
      if (runs.some((r) => r.complete === false)) box.appendChild(el("p", { class: "muted" }, "+: the oldest attempts of this run were not read; it did more."));
      return box;
    },
    schema(columns) {
      if (!Array.isArray(columns) || !columns.every((c) => c && typeof c === "object" && "name" in c)) return value(columns);
      const t = table(["column", "type", "nullable"], columns.map((c) => [c.name, c.type, c.nullable === undefined ? "" : (c.nullable ? "yes" : "no")]));
      t.id = "asset-schema";
      return t;
    },
  };

  // -- the partition strip: one cell per partition, a calendar for time partitions -------------

  function reasonOf(a, index) {
    const runs = a.reasons;
    let lo = 0, hi = runs.length / 3 - 1, found = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (runs[mid * 3] <= index) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found === null || index >= runs[found * 3] + runs[found * 3 + 1]) return null;
    return DATA.reasons[runs[found * 3 + 2]];
  }

  function partitionStrip(a) {
    const box = el("div", { id: "asset-partitions" });
    const keyset = a.keyset === null ? null : DATA.keysets[a.keyset];
    const n = a.strip.length;
    if (!n) { box.appendChild(el("p", { class: "muted" }, "no partition is due yet")); return box; }
    if (keyset) box.appendChild(el("p", { class: "muted" }, keyset.describe));
    const cal = keyset && keyset.calendar;
    // A calendar is cropped to the columns its partitions use: four days are not a year of cells.
    let first = 0, last = cal ? 0 : Math.min(n, 50) - 1;
    if (cal) {
      first = cal.cols;
      for (const cell of cal.cells) { const c = cell % cal.cols; if (c < first) first = c; if (c > last) last = c; }
    }
    const cols = last - first + 1, rows = cal ? cal.rows : Math.ceil(n / cols);
    const cellOf = cal ? (k) => { const c = cal.cells[k]; return Math.floor(c / cal.cols) * cols + (c % cal.cols) - first; } : (k) => k;
    const labelWidth = cal ? 40 : 0, labelHeight = cal ? 12 : 0;
    const available = Math.max(200, (details.clientWidth || 440) - 40 - labelWidth);
    const size = Math.max(3, Math.min(14, Math.floor(available / cols)));
    const canvas = el("canvas", { class: "strip" });
    const scale = window.devicePixelRatio || 1;
    const width = labelWidth + cols * size, height = labelHeight + rows * size;
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    const ctx = canvas.getContext("2d");
    ctx.scale(scale, scale);
    const at = new Int32Array(cols * rows).fill(-1);
    const gap = size > 5 ? 1 : 0;
    for (let k = 0; k < n; k++) {
      const cell = cellOf(k);
      if (cell < 0 || cell >= at.length) continue;
      at[cell] = k;
      ctx.fillStyle = COLOURS[STATUS_OF[a.strip[k]]];
      ctx.fillRect(labelWidth + (cell % cols) * size, labelHeight + Math.floor(cell / cols) * size, size - gap, size - gap);
    }
    if (cal) {
      ctx.fillStyle = "#5b6573";
      ctx.font = "10px system-ui, sans-serif";
      ctx.textBaseline = "top";
      for (const [row, label] of cal.row_labels) ctx.fillText(label, 0, labelHeight + row * size);
      for (const [col, label] of cal.col_labels) {
        const x = (col - first) * size;
        if (col >= first && x + 20 <= cols * size) ctx.fillText(label, labelWidth + x, 0);
      }
    }
    const tooltip = document.getElementById("tooltip");
    canvas.addEventListener("mousemove", (event) => {
      const box2 = canvas.getBoundingClientRect();
      const col = Math.floor((event.clientX - box2.left - labelWidth) / size);
      const row = Math.floor((event.clientY - box2.top - labelHeight) / size);
      const k = col >= 0 && col < cols && row >= 0 && row < rows ? at[row * cols + col] : -1;
      if (k < 0) { tooltip.hidden = true; return; }
      showTooltip(partitionText(a, k), event);
    });
    canvas.addEventListener("mouseleave", () => { tooltip.hidden = true; });
    canvas.setAttribute("aria-label", `${n} partitions`);
    box.appendChild(canvas);
    return box;
  }

  // -- search ----------------------------------------------------------------------------------

  const search = document.getElementById("search");
  const results = document.getElementById("search-results");
  let matches = [], active = 0;

  function find(query) {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const found = [];
    let method = "name", term = q;
    if (q.startsWith("group:")) { method = "group"; term = q.slice(6); }
    else if (q.startsWith("tag:")) { method = "tag"; term = q.slice(4); }
    for (let i = 0; i < assets.length; i++) {
      const a = assets[i];
      const hit = method === "group" ? a.group.toLowerCase() === term
        : method === "tag" ? a.tags.some((t) => t.toLowerCase() === term)
        : a.name.toLowerCase().includes(term);
      if (hit) found.push(i);
    }
    if (method === "name") found.sort((x, y) => rankHit(x, term) - rankHit(y, term) || x - y);
    return found;
  }
  function rankHit(i, term) { const name = assets[i].name.toLowerCase(); return name === term ? 0 : name.startsWith(term) ? 1 : 2; }

  function showResults() {
    clear(results);
    matches = find(search.value);
    active = 0;
    if (!search.value.trim()) { results.hidden = true; return; }
    if (!matches.length) { results.appendChild(el("li", { class: "muted" }, "no asset matches")); results.hidden = false; return; }
    matches.slice(0, SEARCH_RESULTS).forEach((i, position) => {
      const a = assets[i];
      const item = el("li", { class: position === 0 ? "active" : "", "data-asset": a.name }, chip(a.status), a.name,
                      el("span", { class: "meta" }, a.group));
      item.addEventListener("mousedown", (event) => { event.preventDefault(); choose(i); });
      results.appendChild(item);
    });
    if (matches.length > SEARCH_RESULTS) results.appendChild(el("li", { class: "muted" }, `and ${number.format(matches.length - SEARCH_RESULTS)} more: type more of the name`));
    results.hidden = false;
  }
  function choose(i) {
    results.hidden = true;
    search.value = assets[i].name;
    focusOn(i);
  }
  search.addEventListener("input", showResults);
  search.addEventListener("focus", showResults);
  search.addEventListener("blur", () => { results.hidden = true; });
  search.addEventListener("keydown", (event) => {
    const items = results.querySelectorAll("li[data-asset]");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!items.length) return;
      items[active].classList.remove("active");
      active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items[active].classList.add("active");
    } else if (event.key === "Enter" && matches.length) {
      event.preventDefault();
      choose(matches[Math.min(active, matches.length - 1)]);
    } else if (event.key === "Escape") {
      results.hidden = true;
    }
  });

  // -- header, view controls, start ------------------------------------------------------------

  function header() {
    document.getElementById("title").textContent = DATA.project;
    const totals = {};
    let partitions = 0;
    for (const a of assets) { partitions += a.partitions; for (const [s, c] of Object.entries(a.counts)) totals[s] = (totals[s] || 0) + c; }
    const parts = [`${number.format(assets.length)} assets`];
    if (DATA.selection) parts.push(`selected with --select ${DATA.selection} (of ${number.format(DATA.total_assets)})`);
    parts.push(`${number.format(partitions)} partitions`);
    for (const s of SEVERITY) if (s !== "fresh" && totals[s]) parts.push(`${number.format(totals[s])} ${s}`);
    parts.push(`as of ${DATA.generated_at}`);
    document.getElementById("summary").textContent = parts.join(" \u00b7 ");
    const legend = document.getElementById("legend");
    for (const s of SEVERITY) legend.appendChild(el("span", {}, chip(s), s));
  }

  document.getElementById("show-all").addEventListener("click", () => {
    if (state.mode === "all") {
      state.mode = "neighbourhood";
      if (state.focus === null) state.focus = state.selected === null ? worst() : state.selected;
    } else {
      state.mode = "all";
    }
    draw();
    if (state.selected !== null && state.mode === "all") centreOn(state.selected);
  });
  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("depth").addEventListener("change", (event) => {
    state.depth = Number(event.target.value);
    if (state.mode === "neighbourhood") draw();
  });
  window.addEventListener("resize", fit);

  function worst() {
    // The neighbourhood a report opens on: the first asset with the worst status.
    let best = 0;
    for (let i = 1; i < assets.length; i++) if (SEVERITY.indexOf(assets[i].status) < SEVERITY.indexOf(assets[best].status)) best = i;
    return best;
  }

  header();
  if (assets.length) {
    if (state.mode === "neighbourhood") state.focus = worst();
    draw();
    if (state.mode === "neighbourhood") select(state.focus);
  } else {
    append(details, el("p", { class: "muted" }, "The selection holds no asset."));
  }
  const drawnAt = performance.now();
  requestAnimationFrame(() => requestAnimationFrame(() => {
    window.reportTimings = { parsed: parsedAt, drawn: drawnAt, painted: performance.now(), nodes: state.shown.length };
    document.body.setAttribute("data-ready", "true");
  }));
})();
