// Jejaring PWS page: fetches /v1/pws, draws SVG charts and tables, reloads on /v1/stream changes.
// Plain JavaScript, no libraries, no network beyond this server.
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const LEVEL = { province: "Provinsi", kabupaten: "Kabupaten/Kota", kecamatan: "Kecamatan", desa: "Desa/Kelurahan", puskesmas: "Puskesmas" };
const CHILD = { province: "Kabupaten/Kota", kabupaten: "Kecamatan", kecamatan: "Desa/Kelurahan", puskesmas: "Desa/Kelurahan", desa: "Desa/Kelurahan" };
const STATUS = { baru: "baru", lama: "lama", senyap: "senyap" };
const REF_COLS = [
  ["total", "Dibuat"], ["made", "Menunggu"], ["received", "Diterima"], ["attended", "Dihadiri"],
  ["completed", "Selesai"], ["cancelled", "Batal"], ["overdue", "Terlambat"], ["open", "Terbuka"],
  ["feedback", "Rujuk balik"], ["completed_pct", "% selesai"],
];

const body = document.body;
const state = {
  scope: body.dataset.scope,
  region: null, period: null, span: "month", by: "wilayah", chart: "",
  indicators: [], data: null, source: null, previous: new Map(), flashing: new Map(), loading: null, again: false,
};

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "className") node.className = v;
    else if (k.startsWith("data")) node.setAttribute(k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const nf = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 1 });
function number(v) { return v === null || v === undefined ? "–" : nf.format(v); }
function shown(cell, ind) {
  if (!cell || cell.value === null || cell.value === undefined) return "–";
  return ind.unit === "%" ? nf.format(cell.value) + " %" : nf.format(cell.value);
}
function ratio(cell, ind) {
  if (!cell) return "";
  // a monthly ratio (SKDN) has no year-to-date value; a cumulative one (K/S) shows January up to the month
  if (state.span === "ytd" && ind.ytd === "monthly") return "hanya bulanan (tidak ada nilai kumulatif)";
  if (ind.ytd === "semester" && state.span === "ytd") return `${ratioText(cell, ind)} · putaran (Jan–Jun / Jul–Des)`;
  if (ind.ytd === "cumulative" && state.span !== "ytd") return `${ratioText(cell, ind)} · kumulatif sejak Januari`;
  return ratioText(cell, ind);
}
function ratioText(cell, ind) {
  if (ind.base && ind.base.startsWith("target:") && (cell.denominator === null || cell.denominator === undefined)) return `${number(cell.numerator)} orang · sasaran belum diimpor`;
  if (cell.denominator === null || cell.denominator === undefined) return `${number(cell.numerator)} ${ind.unit}`;
  const t = cell.target === null ? "" : ` · target ${nf.format(cell.target)} %`;
  return `${number(cell.numerator)} / ${number(cell.denominator)}${t}`;
}

function ago(iso) {
  if (!iso) return "belum pernah";
  const days = Math.floor((Date.now() - new Date(iso).getTime()) / 86400000);
  if (days <= 0) return "hari ini";
  if (days === 1) return "kemarin";
  return `${days} hari lalu`;
}
const dtf = new Intl.DateTimeFormat("id-ID", { dateStyle: "medium", timeStyle: "short" });  // one formatter: building one per call was most of the freshness table's time
function stamp(iso) {
  return iso ? dtf.format(new Date(iso)) : "";
}

function query(extra) {
  const q = new URLSearchParams({ region: state.region, period: state.period });
  if (state.by === "puskesmas") q.set("by", "puskesmas");
  for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
  return q.toString();
}

function readUrl() {
  const q = new URLSearchParams(location.search);
  state.region = q.get("region") || state.scope;
  state.period = /^\d{4}-\d{2}$/.test(q.get("period") || "") ? q.get("period") : body.dataset.period;
  state.span = q.get("span") === "ytd" ? "ytd" : "month";
  state.by = q.get("by") === "puskesmas" ? "puskesmas" : "wilayah";
}

function writeUrl(push) {
  const q = new URLSearchParams({ region: state.region, period: state.period });
  if (state.span === "ytd") q.set("span", "ytd");
  if (state.by === "puskesmas") q.set("by", "puskesmas");
  const url = "/?" + q.toString();
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

function go(region, by) {
  state.region = region;
  state.by = by || "wilayah";
  state.previous = new Map();
  state.flashing = new Map();
  writeUrl(true);
  connect();
  load();
}

// -- loading ---------------------------------------------------------------------------------

function fetchPws() {
  return fetch("/v1/pws?" + query(), { credentials: "same-origin", headers: { Accept: "application/json" } });
}

async function load(started) {
  if (state.loading) { state.again = true; return state.loading; }
  state.loading = (async () => {
    try {
      const r = await (started || fetchPws());
      if (r.status === 401) { location.href = "/login"; return; }
      if (!r.ok) { showError(r.status === 403 ? "Wilayah ini di luar cakupan token Anda." : `Gagal memuat data (${r.status}).`); return; }
      state.data = await r.json();
      render();
    } catch (e) {
      showError("Tidak dapat menghubungi server.");
    } finally {
      state.loading = null;
      if (state.again) { state.again = false; load(); }
    }
  })();
  return state.loading;
}

function showError(msg) { $("#summary").textContent = msg; }

// -- rendering -------------------------------------------------------------------------------

function cells(area) { return state.span === "ytd" ? area.ytd.indicators : area.indicators; }

function render() {
  const d = state.data;
  document.title = `PWS ${d.region.name} — Jejaring`;
  const prefix = { kecamatan: "Kecamatan ", desa: "Desa " }[d.region.level] || "";
  $("#title").textContent = `PWS ${prefix}${d.region.name}`;
  $("#period").value = d.period;
  for (const b of document.querySelectorAll("[data-span]")) b.setAttribute("aria-pressed", String(b.dataset.span === state.span));
  const byGroup = $("#by");
  byGroup.hidden = !["kabupaten", "kecamatan", "province"].includes(d.region.level);
  for (const b of byGroup.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.by === (d.by === "puskesmas" ? "puskesmas" : "wilayah")));
  const spanText = state.span === "ytd" ? `kumulatif Januari s.d. ${monthName(d.period)}` : monthName(d.period);
  const t = d.total;
  $("#summary").textContent = `${spanText} · ${t.villages} desa, ${t.silent_villages} senyap · data terakhir ${ago(t.last_event_at)}`;
  crumbs(d.path);
  tiles(d);
  charts(d);
  table(d);
  referrals(d);
  freshness(d);
  $("#csv-pws").href = "/v1/pws.csv?" + query();
  $("#csv-ref").href = "/v1/pws/referrals.csv?" + query();
  $("#csv-fresh").href = "/v1/pws/freshness.csv?" + new URLSearchParams({ region: state.region }).toString();
  body.dataset.loaded = String(Number(body.dataset.loaded || 0) + 1);
}

function monthName(period) {
  const [y, m] = period.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, 15)).toLocaleDateString("id-ID", { month: "long", year: "numeric", timeZone: "UTC" });
}

function link(code, name, by) {
  const a = el("a", { href: "/?" + new URLSearchParams({ region: code, period: state.period }).toString(), dataRegion: code, text: name });
  a.addEventListener("click", (e) => { e.preventDefault(); go(code, by); });
  return a;
}

function crumbs(path) {
  const nav = $("#crumbs");
  nav.replaceChildren();
  path.forEach((p, i) => {
    if (i) nav.append(el("span", { className: "sep", text: "›" }));
    nav.append(i === path.length - 1 ? el("span", { text: p.name, "aria-current": "page" }) : link(p.code, p.name));
  });
}

function tiles(d) {
  const box = $("#tiles");
  box.replaceChildren();
  const c = cells(d.total);
  for (const ind of state.indicators) {
    const cell = c[ind.id];
    box.append(el("div", { className: "tile " + (cell.colour || ""), title: ind.label + (ind.source ? ` — sumber: ${ind.source}` : "") },
      el("div", { className: "k" }, defButton(ind, ind.label)),
      el("div", { className: "v", dataIndicator: ind.id, text: shown(cell, ind) }),
      el("div", { className: "s", text: ratio(cell, ind) })));
  }
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function charts(d) {
  const box = $("#charts");
  box.replaceChildren();
  const areas = d.rows.length ? d.rows : [{ ...d.total, code: d.region.code, name: d.region.name, level: d.region.level }];
  let width = null;  // the figures share one width: measured once (each read lays the page out)
  for (const ind of state.indicators.filter((i) => !state.chart || i.id === state.chart)) {
    const items = areas.map((a) => ({ code: a.code, name: a.name, level: a.level, cell: cells(a)[ind.id] }));
    items.sort((x, y) => (y.cell.value ?? -1) - (x.cell.value ?? -1) || x.name.localeCompare(y.name));
    const target = cells(d.total)[ind.id].target;
    const sub = ind.denominator ? `${ind.numerator} / ${ind.denominator}` : ind.numerator;
    const fig = el("figure", { className: "chart", dataIndicator: ind.id }, el("h3", {}, defButton(ind, ind.label)), el("p", { className: "sub", text: sub }));
    box.append(fig);
    // Drawn at the figure's own width, so text keeps its size on any screen.
    if (width === null) width = Math.max(260, fig.clientWidth - 20);
    fig.append(items.length ? chart(ind, items, target, width) : el("p", { className: "empty", text: "Belum ada wilayah." }));
  }
}

function chart(ind, items, target, W) {
  const labelW = Math.min(150, Math.round(W * 0.34)), valueW = 58, rowH = 22, top = 20, bottom = 6;
  const plotW = W - labelW - valueW;
  const values = items.map((i) => i.cell.value ?? 0);
  const max = niceMax(Math.max(ind.unit === "%" && ind.direction === "up" ? 100 : 0, target || 0, ...values));
  const H = top + items.length * rowH + bottom;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": `Grafik ${ind.label}` });
  root.append(svg("line", { class: "axis", x1: labelW, x2: labelW, y1: top - 4, y2: H - bottom }));
  const chars = Math.max(8, Math.floor(labelW / 7));
  items.forEach((item, i) => {
    const y = top + i * rowH;
    const v = item.cell.value;
    const label = svg("text", { x: labelW - 6, y: y + 15, "text-anchor": "end", class: "lbl" }, truncate(item.name, chars));
    label.append(svg("title", {}, item.name));
    label.addEventListener("click", () => go(item.code));
    const w = v === null || v === undefined ? 0 : Math.max(v > 0 ? 1.5 : 0, (v / max) * plotW);
    const bar = svg("rect", { x: labelW, y: y + 3, width: w.toFixed(1), height: rowH - 6, rx: 2, class: "bar " + (item.cell.colour || "none"), "data-area": item.code });
    bar.append(svg("title", {}, `${item.name}: ${shown(item.cell, ind)} (${ratio(item.cell, ind)})`));
    root.append(label, bar, svg("text", { x: labelW + w + 4, y: y + 15, class: "val" }, shown(item.cell, ind)));
  });
  if (target !== null && target !== undefined) {
    const x = labelW + (target / max) * plotW;
    root.append(svg("line", { class: "tgt", x1: x, x2: x, y1: top - 6, y2: H - bottom }),
      svg("text", { class: "tgt-t", x: Math.max(labelW + 30, Math.min(x, W - 40)), y: 12, "text-anchor": "middle" }, `target ${nf.format(target)} %`));
  }
  return root;
}

function truncate(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }

function table(d) {
  const t = $("#pws");
  const head = el("tr", {}, el("th", { text: CHILD[d.region.level] && d.rows.length ? (d.by === "puskesmas" ? "Puskesmas" : CHILD[d.region.level]) : "Wilayah" }),
    state.indicators.map((ind) => el("th", { title: `${ind.label}${ind.target !== null ? ` · target ${nf.format(ind.target)} %` : ""}` },
      defButton(ind, ind.short + (ind.unit === "%" ? " (%)" : "")))),
    el("th", { text: "Data terakhir" }), el("th", { text: "Desa senyap" }));
  t.tHead.replaceChildren(head);
  const seen = new Map();
  const row = (area, name) => el("tr", { dataArea: area.code },
    el("td", {}, name),
    state.indicators.map((ind) => {
      const cell = cells(area)[ind.id];
      const text = shown(cell, ind);
      const key = `${state.span}|${area.code}|${ind.id}`;
      seen.set(key, text);
      // a changed cell flashes for the animation's length, whatever re-renders follow (a visit and its screening)
      if (state.previous.has(key) && state.previous.get(key) !== text) state.flashing.set(key, Date.now() + FLASH_MS);
      const changed = (state.flashing.get(key) || 0) > Date.now();
      return el("td", { className: [cell.colour || "", changed ? "flash" : ""].join(" ").trim() || null, dataArea: area.code, dataIndicator: ind.id, title: ratio(cell, ind) + " · ketuk untuk tren", tabindex: "0", text });
    }),
    el("td", { title: stamp(area.last_event_at), text: ago(area.last_event_at) }),
    el("td", { text: `${area.silent_villages} / ${area.villages}` }));
  t.tBodies[0].replaceChildren(...d.rows.map((r) => row(r, link(r.code, r.name))));
  t.tFoot.replaceChildren(row({ ...d.total, code: d.region.code }, `Total ${d.region.name}`));
  state.previous = seen;
}

const FLASH_MS = 1600; // app.css .grid td.flash

function referrals(d) {
  const t = $("#referrals");
  const key = state.span === "ytd" ? "ytd" : "month";
  t.tHead.replaceChildren(el("tr", {}, el("th", { text: "Wilayah" }), REF_COLS.map(([, label]) => el("th", { text: label }))));
  const row = (area, name) => el("tr", { dataArea: area.code }, el("td", {}, name),
    REF_COLS.map(([k]) => el("td", { dataRef: k, text: number(area.referrals[key][k]) })));
  t.tBodies[0].replaceChildren(...d.rows.map((r) => row(r, link(r.code, r.name))));
  t.tFoot.replaceChildren(row({ ...d.total, code: d.region.code }, `Total ${d.region.name}`));
}

function freshness(d) {
  const rows = d.freshness;
  const total = d.freshness_total;
  const shown = rows.length < total.villages ? ` Ditampilkan ${rows.length} desa teratas; semua desa ada di CSV.` : "";
  $("#fresh-note").textContent = total.villages
    ? `${total.senyap} dari ${total.villages} desa senyap (tanpa kejadian baru). Waktu = kejadian terakhir yang diterima.${shown}`
    : "Tidak ada desa di wilayah ini.";
  $("#freshness").tBodies[0].replaceChildren(...rows.map((f) => el("tr", { className: f.status, dataVillage: f.code },
    el("td", {}, link(f.code, f.name)), el("td", { className: "txt", text: f.kecamatan }),
    el("td", { title: f.received_at ? `diterima ${stamp(f.received_at)}` : null, text: f.last_event_at ? stamp(f.last_event_at) : "belum pernah" }),
    el("td", { text: f.days === null ? "–" : String(f.days) }),
    el("td", {}, el("span", { className: "badge " + f.status, text: STATUS[f.status] })))));
}

// -- definition and trend (one dialog) ---------------------------------------------------------

function defButton(ind, text) {
  const b = el("button", { type: "button", className: "def", dataDef: ind.id, "aria-haspopup": "dialog", title: `Definisi dan tren: ${ind.label}`, text });
  b.addEventListener("click", (e) => { e.stopPropagation(); openInfo(ind.id, null); });
  return b;
}

const info = { indicator: null, area: null, data: null, seq: 0 };

function openInfo(id, area) {
  const ind = state.indicators.find((i) => i.id === id);
  if (!ind) return;
  info.indicator = ind;
  info.area = area && area !== state.region ? area : "";
  info.data = null;
  $("#info-title").textContent = ind.label;
  $("#def-numerator").textContent = ind.numerator;
  $("#def-denominator").textContent = ind.denominator_text || ind.denominator || "—";
  $("#def-target").textContent = ind.target_text || (ind.target === null ? "—" : `${nf.format(ind.target)} %`);
  $("#def-applies").textContent = ind.applies || "";
  $("#def-counting").textContent = ind.counting || "";
  $("#def-source").textContent = ind.source || "—";
  $("#trend-plot").replaceChildren(el("p", { className: "empty", text: "memuat tren…" }));
  $("#trend-area").replaceChildren();
  $("#trend-sub").textContent = "";
  const dialog = $("#info");
  if (!dialog.open) dialog.showModal();
  dialog.scrollTop = 0;
  loadTrend().then(() => { if (area && info.data) $("#trend-title").scrollIntoView({ block: "start" }); });
}

async function loadTrend() {
  if (!info.indicator) return;
  const seq = ++info.seq;
  try {
    const r = await fetch("/v1/pws/trend?" + query({ indicator: info.indicator.id }), { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (seq !== info.seq) return;
    if (r.status === 401) { location.href = "/login"; return; }
    if (!r.ok) { $("#trend-plot").replaceChildren(el("p", { className: "empty", text: `Gagal memuat tren (${r.status}).` })); return; }
    info.data = await r.json();
    if (seq !== info.seq) return;
    renderTrend();
  } catch (e) {
    $("#trend-plot").replaceChildren(el("p", { className: "empty", text: "Tidak dapat menghubungi server." }));
  }
}

function renderTrend() {
  const d = info.data, ind = info.indicator;
  const pick = $("#trend-area");
  const options = [el("option", { value: "", text: `Total ${d.region.name}` }), ...d.rows.map((r) => el("option", { value: r.code, text: r.name }))];
  pick.replaceChildren(...options);
  if (!d.rows.some((r) => r.code === info.area)) info.area = "";
  pick.value = info.area;
  pick.disabled = !d.rows.length;
  const area = info.area ? d.rows.find((r) => r.code === info.area) : { ...d.total, name: d.region.name };
  const last = area.series[area.series.length - 1];
  const parts = [`${area.name} · ${monthName(d.months[0])} – ${monthName(d.period)}`];
  if (last.value !== null) parts.push(`bulan ini ${shown(last, ind)}`);
  if (last.ytd.value !== null) parts.push(`kumulatif ${shown(last.ytd, ind)}`);
  if (last.ytd.target !== null) parts.push(`target s.d. bulan ini ${nf.format(last.ytd.target)} %`);
  $("#trend-sub").textContent = parts.join(" · ");
  const plot = $("#trend-plot");
  plot.replaceChildren(trendChart(ind, d.months, area.series, Math.max(260, plot.clientWidth || 320)));
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"];

function trendChart(ind, months, series, W) {
  const left = 40, right = 8, top = 14, bottom = 34, H = 220;
  const plotW = W - left - right, plotH = H - top - bottom, step = plotW / months.length;
  const numbers = series.flatMap((p) => [p.value, p.ytd.value, p.ytd.target, p.target]).filter((v) => v !== null && v !== undefined);
  const max = niceMax(Math.max(0, ...numbers));
  const y = (v) => top + plotH - (v / max) * plotH;
  const x = (i) => left + step * i + step / 2;
  const pct = ind.unit === "%";
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "trend-svg", "data-indicator": ind.id,
    "aria-label": `Tren 12 bulan ${ind.label}: batang bulanan, garis kumulatif${ind.target !== null ? " dan garis target" : ""}` });
  for (const f of [0, 0.5, 1]) {
    const v = max * f;
    root.append(svg("line", { class: "grid-l", x1: left, x2: W - right, y1: y(v), y2: y(v) }),
      svg("text", { class: "ax", x: left - 4, y: y(v) + 4, "text-anchor": "end" }, nf.format(v) + (pct ? "%" : "")));
  }
  series.forEach((p, i) => {
    const [yy, mm] = p.period.split("-").map(Number);
    const g = svg("g", { "data-month": p.period, class: "month" });
    if (p.value !== null) {
      const h = Math.max(p.value > 0 ? 1.5 : 0, (p.value / max) * plotH);
      g.append(svg("rect", { class: "bar " + (p.colour || "none"), x: (left + step * i + step * 0.18).toFixed(1), y: (top + plotH - h).toFixed(1), width: (step * 0.64).toFixed(1), height: h.toFixed(1), rx: 1.5 }));
    }
    const tip = [`${MONTHS[mm - 1]} ${yy}`, `bulanan: ${p.value === null ? "tidak ada data" : shown(p, ind) + " (" + ratio(p, ind) + ")"}`,
      `kumulatif: ${p.ytd.value === null ? "tidak ada data" : shown(p.ytd, ind) + " (" + ratio(p.ytd, ind) + ")"}`];
    if (p.ytd.target !== null) tip.push(`target kumulatif: ${nf.format(p.ytd.target)} %`);
    g.append(svg("rect", { class: "hit", x: (left + step * i).toFixed(1), y: top, width: step.toFixed(1), height: plotH }), svg("title", {}, tip.join("\n")));
    g.append(svg("text", { class: "ax", x: x(i), y: H - bottom + 14, "text-anchor": "middle" }, step < 30 ? MONTHS[mm - 1][0] : MONTHS[mm - 1]));
    if (mm === 1 || i === 0) g.append(svg("text", { class: "ax yr", x: x(i), y: H - bottom + 27, "text-anchor": "middle" }, String(yy)));
    root.append(g);
  });
  // Year-to-date lines restart every January: one segment per calendar year (and per run of data).
  const segments = (pick) => {
    const out = []; let cur = [];
    series.forEach((p, i) => {
      const v = pick(p);
      if (v === null || v === undefined || (p.period.endsWith("-01") && cur.length)) { if (cur.length) out.push(cur); cur = []; }
      if (v !== null && v !== undefined) cur.push([x(i), y(v)]);
    });
    if (cur.length) out.push(cur);
    return out;
  };
  for (const seg of segments((p) => p.ytd.target)) {
    root.append(svg("polyline", { class: "tpath", points: seg.map((q) => q.map((n) => n.toFixed(1)).join(",")).join(" ") }));
  }
  for (const seg of segments((p) => p.ytd.value)) {
    root.append(svg("polyline", { class: "cum", points: seg.map((q) => q.map((n) => n.toFixed(1)).join(",")).join(" ") }));
    for (const [cx, cy] of seg) root.append(svg("circle", { class: "cum-p", cx: cx.toFixed(1), cy: cy.toFixed(1), r: 2.6 }));
  }
  root.append(svg("line", { class: "axis", x1: left, x2: W - right, y1: top + plotH, y2: top + plotH }));
  return root;
}

function cellTrend(e) {
  const td = e.target.closest("td[data-indicator]");
  if (!td) return;
  if (e.type === "keydown" && e.key !== "Enter" && e.key !== " ") return;
  if (e.type === "keydown") e.preventDefault();
  openInfo(td.dataset.indicator, td.dataset.area);
}

// -- live updates ----------------------------------------------------------------------------

function connect() {
  document.dispatchEvent(new CustomEvent("jejaring:region"));  // signals.js follows the shown area
  if (state.source) state.source.close();
  const live = $("#live");
  const source = new EventSource("/v1/stream?" + new URLSearchParams({ region: state.region }).toString());
  state.source = source;
  source.addEventListener("ready", () => { live.className = "live on"; live.textContent = "Langsung"; });
  source.addEventListener("change", () => { load().then(() => { if ($("#info").open) loadTrend(); live.textContent = "Langsung · diperbarui " + new Date().toLocaleTimeString("id-ID"); document.dispatchEvent(new CustomEvent("jejaring:change")); }); });
  source.addEventListener("expired", () => { source.close(); location.href = "/login"; });
  source.onerror = () => { live.className = "live off"; live.textContent = "Terputus — mencoba lagi…"; };
}

// -- start -----------------------------------------------------------------------------------

async function start() {
  readUrl();
  writeUrl(false);
  const first = fetchPws();  // under way while the indicator list loads
  const r = await fetch("/v1/indicators");
  state.indicators = await r.json();
  const pick = $("#chart-pick");
  for (const ind of state.indicators) pick.append(el("option", { value: ind.id, text: ind.label }));
  pick.addEventListener("change", () => { state.chart = pick.value; if (state.data) charts(state.data); });
  $("#period").addEventListener("change", (e) => { if (e.target.value) { state.period = e.target.value; writeUrl(true); load(); } });
  for (const b of document.querySelectorAll("[data-span]")) b.addEventListener("click", () => { state.span = b.dataset.span; writeUrl(false); if (state.data) render(); });
  for (const b of document.querySelectorAll("[data-by]")) b.addEventListener("click", () => { state.by = b.dataset.by; writeUrl(false); load(); });
  const pws = $("#pws");
  pws.addEventListener("click", cellTrend);
  pws.addEventListener("keydown", cellTrend);
  const dialog = $("#info");
  $("#info-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });  // the backdrop
  dialog.addEventListener("close", () => { info.indicator = null; info.seq++; });
  $("#trend-area").addEventListener("change", (e) => { info.area = e.target.value; if (info.data) renderTrend(); });
  window.addEventListener("popstate", () => { readUrl(); connect(); load(); });
  connect();
  await load(first);
}

start();
