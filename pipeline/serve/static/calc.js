// The calculator page: no library, no asset from the internet. Every number comes from
// the JSON API (pipeline.serve.app); this script only lays it out.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_UPLOAD = 10 * 1024 * 1024;
const SHOWN = 5000;  // rows drawn in the results table; downloads hold every row
const state = { tables: [], upload: null, lastBody: null, lastScore: null, alphabetTouched: false };

// -- helpers ---------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function show(where, text, kind = "error") {
  const box = $(where);
  box.textContent = text || "";
  box.className = text ? kind : "";
}

async function api(path, body, asBlob = false) {
  const init = body === undefined ? {} : body instanceof FormData
    ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new Error(`the server did not answer (${err.message}); is ctm serve still running?`);
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error || message; } catch (_) { /* not JSON */ }
    throw new Error(`${message} (HTTP ${response.status})`);
  }
  return asBlob ? response : response.json();
}

const fixed = (v, d = 6) => (v === null || v === undefined ? "" : Number(v).toFixed(d));
const expo = (v) => (v === null || v === undefined ? "" : Number(v).toExponential(6));

// -- tables ----------------------------------------------------------------------------

async function loadTables() {
  const [tables, health] = await Promise.all([api("/api/tables"), api("/api/health")]);
  state.tables = tables;
  $("software").textContent = health.software;
  const fill = (select, dims, first) => {
    const keep = select.value;
    select.replaceChildren(el("option", { value: "", text: first }));
    for (const t of tables.filter((t) => t.dims === dims)) {
      const where = t.source === "shipped" ? "shipped" : t.source;
      const def = t.default_for ? `, default for ${t.default_for}` : "";
      select.append(el("option", { value: `${t.name}@${t.version}@${t.source}`, text: `${t.label} (${where}) - ${t.provenance.text}${def}` }));
    }
    select.value = [...select.options].some((o) => o.value === keep) ? keep : "";
  };
  fill($("table"), 1, "the alphabet's default table");
  fill($("matrix-table"), 2, "the default table for matrices");
  describeTable();
}

function picked(select) {
  if (!select.value) return null;
  const [name, version, source] = select.value.split("@");
  return state.tables.find((t) => t.name === name && String(t.version) === version && t.source === source) || null;
}

function describeTable() {
  const t = picked($("table"));
  $("alphabet").disabled = !!t;
  if (t) $("alphabet").value = t.symbols;
  $("table-provenance").textContent = t ? `${t.label}: ${t.provenance.text}; ${t.strings} strings; from ${t.source}.` : "";
  const m = picked($("matrix-table"));
  $("matrix-provenance").textContent = m ? `${m.label}: ${m.provenance.text}; from ${m.source}.` : "";
}

// -- strings -----------------------------------------------------------------------------

function inputs() {
  // One string per line; blank lines inside the list are missing values (rows stay
  // aligned with an uploaded column), trailing ones are dropped.
  const lines = $("strings").value.split(/\r\n|\r|\n/).map((s) => s.trim());
  while (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines.map((s) => (s === "" ? null : s));
}

function distinct(strings) {
  const seen = new Set();
  for (const s of strings) if (s) for (const ch of Array.from(s)) seen.add(ch);
  return seen.size;
}

function updateAlphabet() {
  if (picked($("table"))) return;
  const strings = inputs();
  const n = distinct(strings);
  if (!state.alphabetTouched) $("alphabet").value = strings.length ? Math.min(Math.max(n, 2), 10) : "";
  $("alphabet-note").textContent = strings.length
    ? `${n} distinct symbol${n === 1 ? "" : "s"} in the whole column${n > 10 ? " (no table has more than 10)" : ""}`
    : "";
}

async function uploadFile() {
  const file = $("file").files[0];
  show("message", "");
  if (!file) return;
  if (file.size > MAX_UPLOAD) {
    show("message", `file '${file.name}' is ${(file.size / 2 ** 20).toFixed(1)} MiB; uploads are at most 10 MiB (HTTP 413 from the API)`);
    $("file").value = "";
    return;
  }
  const form = new FormData();
  form.append("file", file);
  try {
    const data = await api("/api/upload", form);
    state.upload = data;
    const column = $("column");
    column.replaceChildren(...data.columns.map((c, i) => el("option", { value: String(i), text: c.name })));
    column.disabled = false;
    const string = data.columns.findIndex((c) => /string|response|sequence/i.test(c.name));
    column.value = String(string >= 0 ? string : 0);
    $("file-note").textContent = `${data.file}: ${data.rows} rows, ${data.columns.length} column${data.columns.length === 1 ? "" : "s"}.`;
    useColumn();
  } catch (err) {
    show("message", err.message);
    $("file").value = "";
  }
}

function useColumn() {
  if (!state.upload) return;
  const c = state.upload.columns[Number($("column").value)];
  $("strings").value = c.values.map((v) => v ?? "").join("\n");
  state.alphabetTouched = false;
  updateAlphabet();
  $("warnings").replaceChildren(...c.warnings.map((w) => el("li", { text: w })));
}

function scoreBody() {
  const t = picked($("table"));
  const block = $("block").value.trim();
  return {
    strings: inputs(),
    alphabet: t || !$("alphabet").value ? null : Number($("alphabet").value),
    table: t ? t.name : null,
    version: t ? t.version : null,
    block: block ? Number(block) : null,
    strategy: $("strategy").value,
  };
}

async function score() {
  show("message", "");
  const body = scoreBody();
  if (!body.strings.length) {
    show("message", "nothing to score: type strings, one per line, or upload a file");
    return;
  }
  show("message", `scoring ${body.strings.length.toLocaleString("en")} strings...`, "info");
  $("chart").replaceChildren();
  try {
    const data = await api("/api/score", body);
    state.lastBody = body;
    state.lastScore = data;
    show("message", "");
    renderScore(data);
    $("download").disabled = $("download-xlsx").disabled = false;
    const first = data.rows.findIndex((r) => r.string !== null);
    if (first >= 0) chart(first);
  } catch (err) {
    show("message", err.message);
  }
}

const HEADS = { K: "K (bits)", K_se: "± se", D: "D", count: "count", hits: "hits", rank: "rank", bdm: "BDM", nbdm: "NBDM", ent: "block entropy" };

function renderScore(data) {
  const sampled = data.columns.includes("K_se");
  const lookupCols = ["K", ...(sampled ? ["K_se"] : []), "D", ...(data.columns.includes("count") ? ["count"] : ["hits"]), "rank"];
  const anyBdm = data.rows.some((r) => "bdm" in r);
  const bdmCols = anyBdm ? ["bdm", "nbdm", "ent"] : [];
  $("results").tHead.replaceChildren(el("tr", {}, el("th", { text: "#" }), el("th", { text: "string" }),
    ...[...lookupCols, ...bdmCols].map((c) => el("th", { text: HEADS[c] }))));
  const body = $("results").tBodies[0];
  const rows = data.rows.slice(0, SHOWN).map((r, i) => {
    const tr = el("tr", { "data-index": String(i) }, el("td", { text: String(i + 1) }), el("td", { class: "c-string", text: r.string ?? "(missing)" }));
    if (r.reason) {
      tr.append(el("td", { class: "na c-reason", colspan: String(lookupCols.length), text: `NA: ${r.reason}` }));
    } else {
      for (const c of lookupCols) {
        const v = r[c];
        const text = c === "D" ? expo(v) : c === "K" || c === "K_se" ? fixed(v) : v === null ? "" : String(v);
        tr.append(el("td", { class: `c-${c}`, text }));
      }
    }
    if (anyBdm) {
      if (!("bdm" in r)) tr.append(el("td", { colspan: "3", class: "c-bdm-none" }));
      else if (r.bdm_reason) tr.append(el("td", { class: "na c-bdm-reason", colspan: "3", text: `NA: ${r.bdm_reason}` }));
      else for (const c of bdmCols) tr.append(el("td", { class: `c-${c}`, text: fixed(r[c]) }));
    }
    tr.addEventListener("click", () => chart(i));
    return tr;
  });
  body.replaceChildren(...rows);
  const t = data.table;
  const scored = data.rows.filter((r) => !r.reason).length;
  $("summary").textContent = t
    ? `${scored} of ${data.rows.length} strings have K from ${t.label} (${t.source}; ${t.provenance.text}).` +
      (anyBdm ? ` BDM for strings longer than ${data.bdm.block} symbols: block ${data.bdm.block}, partition ${data.bdm.strategy}.` : "")
    : `No table answered: ${data.rows[0]?.reason ?? ""}`;
  $("results-note").textContent = (sampled
    ? "± se: the standard error of K from the sample's batches (K ± 1.96 se is a 95 % interval)."
    : t ? "Exact values: every machine of the space was run." : "") +
    (data.rows.length > SHOWN ? ` The page shows the first ${SHOWN.toLocaleString("en")} of ${data.rows.length.toLocaleString("en")} rows; the downloads hold them all.` : "");
  $("warnings").replaceChildren(...data.warnings.map((w) => el("li", { text: w })));
}

async function download(kind) {
  if (!state.lastBody) return;
  try {
    const response = await api(`/api/score.${kind}`, state.lastBody, true);
    const blob = await response.blob();
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || `ctm-results.${kind}`;
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    show("message", err.message);
  }
}

// -- local complexity chart --------------------------------------------------------------

async function chart(index) {
  const body = state.lastBody;
  const text = state.lastScore.rows[index].string;
  for (const tr of $("results").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.index === String(index));
  const box = $("chart");
  if (text === null) { box.replaceChildren(); return; }
  const token = (state.chartToken = (state.chartToken || 0) + 1);  // only the last row clicked is drawn
  try {
    const data = await api("/api/local_complexity", {
      strings: [text], span: Number($("span").value) || 5, alphabet: body.alphabet, table: body.table, version: body.version,
    });
    if (token === state.chartToken) drawChart(box, data.rows[0], data.span);
  } catch (err) {
    box.replaceChildren(el("p", { class: "note error", text: `local complexity: ${err.message}` }));
  }
}

function drawChart(box, row, span) {
  const title = el("p", { id: "chart-title" }, `Local complexity of ${row.string}, windows of ${span}: `,
    el("span", { id: "chart-mean", text: row.mean === null ? "no window has a K" : `mean K = ${fixed(row.mean)}` }),
    row.mean_se !== null ? ` (se ${fixed(row.mean_se)})` : "", row.reason ? ` - ${row.reason}` : "");
  const values = row.K;
  if (!values.length) { box.replaceChildren(title); return; }
  const W = 760, H = 220, L = 48, R = 12, T = 10, B = 28;
  const lo = row.K_se ? values.map((v, i) => v - 1.96 * (row.K_se[i] || 0)) : values;
  const hi = row.K_se ? values.map((v, i) => v + 1.96 * (row.K_se[i] || 0)) : values;
  const finite = [...lo, ...hi].filter((v) => v !== null && Number.isFinite(v));
  let ymin = Math.floor(Math.min(...finite)), ymax = Math.ceil(Math.max(...finite));
  if (ymin === ymax) { ymin -= 1; ymax += 1; }
  const x = (i) => L + (values.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (values.length - 1));
  const y = (v) => T + ((ymax - v) * (H - T - B)) / (ymax - ymin);
  const plot = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, id: "chart-svg", role: "img" });
  plot.append(svg("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#888" }), svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#888" }));
  for (const v of [ymin, (ymin + ymax) / 2, ymax]) {
    const label = svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" });
    label.textContent = v.toFixed(1);
    plot.append(label, svg("line", { x1: L, y1: y(v), x2: W - R, y2: y(v), stroke: "#eee" }));
  }
  const axis = svg("text", { x: (W + L) / 2, y: H - 6, "text-anchor": "middle" });
  axis.textContent = "window start (symbol)";
  const yaxis = svg("text", { x: 12, y: (H - B) / 2, transform: `rotate(-90 12 ${(H - B) / 2})`, "text-anchor": "middle" });
  yaxis.textContent = "K (bits)";
  plot.append(axis, yaxis);
  let path = "";
  values.forEach((v, i) => {
    if (v === null) { path += " "; return; }
    path += `${path.endsWith(" ") || !path ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
  });
  plot.append(svg("path", { d: path.replace(/ /g, ""), fill: "none", stroke: "#1f5fa8", "stroke-width": 1.5 }));
  values.forEach((v, i) => {
    if (v === null) return;
    if (row.K_se && row.K_se[i]) plot.append(svg("line", { x1: x(i), x2: x(i), y1: y(hi[i]), y2: y(lo[i]), stroke: "#7aa6d8" }));
    const dot = svg("circle", { cx: x(i), cy: y(v), r: 3, fill: "#1f5fa8", class: "point" });
    const tip = svg("title");
    tip.textContent = `${row.windows[i]}: K = ${fixed(v)}` + (row.K_se ? ` ± ${fixed(row.K_se[i])}` : "");
    dot.append(tip);
    plot.append(dot);
  });
  box.replaceChildren(title, plot);
}

// -- matrices --------------------------------------------------------------------------

function gridFromText(text) {
  const rows = text.trim().split("-");
  if (!rows.every((r) => r.length && r.length === rows[0].length) || rows.length > 24 || rows[0].length > 24) return false;
  $("rows").value = rows.length;
  $("cols").value = rows[0].length;
  drawGrid(rows);
  return true;
}

function drawGrid(rows) {
  const grid = $("grid");
  grid.style.gridTemplateColumns = `repeat(${rows[0].length}, 18px)`;
  const cells = [];
  rows.forEach((row, r) => Array.from(row).forEach((v, c) => {
    const b = el("button", { type: "button", "data-r": String(r), "data-c": String(c), class: v === "0" ? "" : "on", title: `row ${r + 1}, column ${c + 1}` });
    b.addEventListener("click", () => { b.classList.toggle("on"); textFromGrid(); });
    cells.push(b);
  }));
  grid.replaceChildren(...cells);
}

function textFromGrid() {
  const rows = Number($("rows").value), cols = Number($("cols").value);
  const out = [];
  for (let r = 0; r < rows; r++) {
    let row = "";
    for (let c = 0; c < cols; c++) row += $("grid").querySelector(`[data-r="${r}"][data-c="${c}"]`)?.classList.contains("on") ? "1" : "0";
    out.push(row);
  }
  $("matrix-text").value = out.join("-");
}

function resizeGrid() {
  if ($("rows").value === "" || $("cols").value === "") return;  // being retyped
  const rows = Math.min(Math.max(Number($("rows").value) || 1, 1), 24);
  const cols = Math.min(Math.max(Number($("cols").value) || 1, 1), 24);
  $("rows").value = rows;
  $("cols").value = cols;
  const old = $("matrix-text").value.split("-");
  const next = [];
  for (let r = 0; r < rows; r++) {
    let row = "";
    for (let c = 0; c < cols; c++) row += old[r]?.[c] === "1" ? "1" : "0";
    next.push(row);
  }
  $("matrix-text").value = next.join("-");
  drawGrid(next);
}

async function scoreMatrix() {
  show("matrix-message", "");
  const m = picked($("matrix-table"));
  const text = $("matrix-text").value.trim();
  if (!text) { show("matrix-message", "nothing to score: click cells or type a matrix such as 010-101-010"); return; }
  try {
    const data = await api("/api/matrix", {
      matrix: text, table: m ? m.name : null, version: m ? m.version : null,
      block: Number($("matrix-block").value), strategy: $("matrix-strategy").value,
    });
    gridFromText(data.matrix);
    renderMatrix(data);
  } catch (err) {
    show("matrix-message", err.message);
    $("matrix-results").tBodies[0].replaceChildren();
    $("heatmap").replaceChildren();
  }
}

function renderMatrix(data) {
  const L = data.lookup;
  const line = (name, id, value) => el("tr", {}, el("td", { text: name }), el("td", { id, class: value.startsWith("NA") ? "na" : "", text: value }));
  const na = (k) => `NA: ${data.reasons[k]}`;
  const o = data.bdm_options;
  $("matrix-results").tBodies[0].replaceChildren(
    line("table", "m-table", `${data.table.label} (${data.table.source}; ${data.table.provenance.text})`),
    line("K", "m-K", L.reason ? `NA: ${L.reason}` : fixed(L.K) + (L.K_se != null ? ` ± ${fixed(L.K_se)}` : "")),
    line("D", "m-D", L.reason ? "" : expo(L.D)),
    line("BDM", "m-bdm", data.bdm === null ? na("bdm") : fixed(data.bdm)),
    line("normalised BDM", "m-nbdm", data.nbdm === null ? na("nbdm") : fixed(data.nbdm)),
    line("block entropy", "m-ent", data.ent === null ? na("ent") : fixed(data.ent)),
    line("blocks", "m-blocks", `${data.blocks.length} blocks of ${o.block}x${o.block} (partition ${o.strategy})`),
  );
  heatmap(data);
}

function heatmap(data) {
  const [rows, cols] = data.shape;
  const cell = Math.max(12, Math.min(28, Math.floor(480 / Math.max(rows, cols))));
  const W = cols * cell + 2, H = rows * cell + 2;
  const plot = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, id: "heatmap-svg" });
  const Ks = data.blocks.map((b) => b.K).filter((k) => k !== null);
  const lo = Math.min(...Ks), hi = Math.max(...Ks);
  const color = (k) => {
    const t = hi > lo ? (k - lo) / (hi - lo) : 0.5;
    return `hsl(${Math.round(220 - 220 * t)}, 75%, 55%)`;
  };
  const m = data.matrix.split("-");
  m.forEach((row, r) => Array.from(row).forEach((v, c) => {
    plot.append(svg("rect", { x: 1 + c * cell, y: 1 + r * cell, width: cell, height: cell, fill: v === "0" ? "#fff" : "#333", stroke: "#ddd" }));
  }));
  for (const b of data.blocks) {
    const g = svg("g", { class: "block" });
    const rect = svg("rect", {
      x: 1 + b.left * cell, y: 1 + b.top * cell, width: b.cols * cell, height: b.rows * cell,
      fill: b.K === null ? "none" : color(b.K), "fill-opacity": data.bdm_options.strategy === "correlated" ? 0.25 : 0.6, stroke: "#000",
    });
    const tip = svg("title");
    tip.textContent = `${b.block}: K = ${fixed(b.K)}${b.imputed ? " (not produced: 1 + the largest K of its shape)" : ""}`;
    rect.append(tip);
    g.append(rect);
    if (data.bdm_options.strategy !== "correlated" && b.cols * cell >= 40) {
      const label = svg("text", { x: 1 + (b.left + b.cols / 2) * cell, y: 5 + (b.top + b.rows / 2) * cell, "text-anchor": "middle", fill: "#000" });
      label.textContent = b.K === null ? "NA" : b.K.toFixed(2) + (b.imputed ? "*" : "");
      g.append(label);
    }
    plot.append(g);
  }
  const legend = el("p", { class: "note", text: Ks.length ? `Each block's K, from ${lo.toFixed(2)} (blue) to ${hi.toFixed(2)} bits (red); * a block the table never produced.` : "" });
  $("heatmap").replaceChildren(plot, legend);
}

// -- wiring ------------------------------------------------------------------------------

function tab(which) {
  const strings = which === "strings";
  $("strings-panel").hidden = !strings;
  $("matrix-panel").hidden = strings;
  $("tab-strings").classList.toggle("active", strings);
  $("tab-matrices").classList.toggle("active", !strings);
}

$("tab-strings").addEventListener("click", () => tab("strings"));
$("tab-matrices").addEventListener("click", () => tab("matrices"));
$("strings").addEventListener("input", () => { state.alphabetTouched = false; updateAlphabet(); });
$("alphabet").addEventListener("input", () => { state.alphabetTouched = true; });
$("file").addEventListener("change", uploadFile);
$("column").addEventListener("change", useColumn);
$("table").addEventListener("change", () => { describeTable(); updateAlphabet(); });
$("matrix-table").addEventListener("change", describeTable);
$("score").addEventListener("click", score);
$("download").addEventListener("click", () => download("csv"));
$("download-xlsx").addEventListener("click", () => download("xlsx"));
$("matrix-score").addEventListener("click", scoreMatrix);
$("rows").addEventListener("change", resizeGrid);
$("cols").addEventListener("change", resizeGrid);
$("matrix-text").addEventListener("input", () => gridFromText($("matrix-text").value));
gridFromText($("matrix-text").value);
loadTables().catch((err) => show("message", err.message));
