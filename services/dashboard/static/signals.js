// Jejaring signals panel: the outbreak signals of the shown area (open first, per village and
// disease, with their clock), the weekly epidemic curve of a disease and area against its threshold,
// and for an admin session the verify / close buttons. Uses app.js's helpers ($, el, svg, nf,
// niceMax, stamp, state); follows its area through the "jejaring:region" and "jejaring:change"
// events app.js dispatches. Plain JavaScript, no libraries, no inline script (the page's CSP).
// Kept in one file (~330 lines) because the list, its actions and the curve share one panel state.
"use strict";

const DISEASES = {
  acute_diarrhoea: "Diare akut", malaria_confirmed: "Malaria konfirmasi", malaria_clinical: "Malaria klinis",
  suspected_dengue: "Tersangka dengue", pneumonia: "Pneumonia", bloody_diarrhoea: "Diare berdarah / disentri",
  suspected_typhoid: "Tersangka demam tifoid", acute_jaundice: "Sindrom jaundice akut",
  suspected_chikungunya: "Tersangka chikungunya", afp: "Lumpuh layuh akut (AFP)",
  rabies_bite: "Gigitan hewan penular rabies (GHPR)", suspected_measles: "Suspek campak",
  suspected_diphtheria: "Suspek difteri", suspected_pertussis: "Suspek pertusis", suspected_hfmd: "Suspek HFMD",
  suspected_leptospirosis: "Suspek leptospirosis", suspected_anthrax: "Suspek antraks", suspected_cholera: "Suspek kolera",
  ili: "Influenza like illness (ILI)", suspected_avian_influenza: "Suspek flu burung",
  suspected_meningitis_encephalitis: "Suspek meningitis/ensefalitis", unusual_cluster: "Kluster penyakit tidak lazim",
};
const SIG_STATUS = { signalled: "Sinyal", escalated: "Eskalasi", verified: "Diverifikasi", closed: "Ditutup" };
const OUTCOMES = { outbreak: "KLB", false_alarm: "bukan KLB (alarm palsu)" };
const STEPS = {  // what an admin may request from each status (surveillance judges it again)
  signalled: [["verified", null], ["closed", "outbreak"], ["closed", "false_alarm"]],
  escalated: [["verified", null]],
  verified: [["closed", "outbreak"], ["closed", "false_alarm"]],
  closed: [],
};
const STEP_LABEL = { verified: "Verifikasi", outbreak: "Tutup: KLB", false_alarm: "Tutup: bukan KLB" };
const REGION_RE = /^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$/;
const CLOSED_SHOWN = 10;

const sig = {
  admin: document.body.dataset.role === "admin",
  region: null, list: [], loading: null, again: false, disease: "suspected_dengue", picked: false,
  curve: null, curveAt: 0, curveTimer: null,
  pending: new Map(),   // form -> request_id, kept until surveillance answered (a retry reuses it)
  messages: new Map(),  // signal_id -> [text, kind]
  drafts: new Map(),    // signal_id -> the note being typed
  drawn: null,          // what the list shows now (redrawn only when it changes)
};

function isOpen(s) { return s.status !== "closed"; }

function duration(ms) {  // whole minutes, never rounded up (23 j 59 mnt left, not 24 j)
  const m = Math.max(0, Math.floor(ms / 60000));
  if (m >= 2880) return `${Math.floor(m / 1440)} hr ${Math.floor((m % 1440) / 60)} j`;
  return m >= 60 ? `${Math.floor(m / 60)} j ${m % 60} mnt` : `${m} mnt`;
}

function clockText(s, now) {
  if (s.status === "signalled") {
    const left = new Date(s.escalate_at).getTime() - now;
    return left > 0 ? `Eskalasi dalam ${duration(left)} bila belum diverifikasi` : "Tenggat 24 jam lewat: segera dieskalasi";
  }
  if (s.status === "escalated") return `Dieskalasi sejak ${duration(now - new Date(s.escalate_at).getTime())} (belum diverifikasi dalam 24 jam)`;
  if (s.status === "verified") return `Diverifikasi ${stamp(s.changed_at)} · penyelidikan berjalan`;
  return `Ditutup ${stamp(s.changed_at)} · ${OUTCOMES[s.outcome] || ""}`;
}

function areaText(s) {
  const kec = s.kecamatan_name ? `, Kec. ${s.kecamatan_name}` : "";
  if (s.area_kind === "puskesmas") return `Wilayah ${s.area_name} (${(s.village_codes || []).length} desa)`;
  return `Desa ${s.village_name || s.village_code}${kec}`;
}

// -- the list ---------------------------------------------------------------------------------

async function loadSignals() {
  if (sig.loading) { sig.again = true; return sig.loading; }
  sig.loading = (async () => {
    const region = state.region;
    try {
      const r = await fetch("/v1/signals?" + new URLSearchParams({ region }), { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (r.status === 401) { location.href = "/login"; return; }
      if (!r.ok) { $("#signals-note").textContent = `Gagal memuat sinyal (${r.status}).`; return; }
      const d = await r.json();
      if (region !== state.region) { sig.again = true; return; }
      sig.list = d.signals;
      renderSignals();
    } catch (e) {
      $("#signals-note").textContent = "Tidak dapat memuat sinyal.";
    } finally {
      sig.loading = null;
      if (sig.again) { sig.again = false; loadSignals(); }
    }
  })();
  return sig.loading;
}

function ordered(list) {
  const newest = [...list].sort((a, b) => new Date(b.raised_at) - new Date(a.raised_at) || (a.signal_id < b.signal_id ? -1 : 1));
  return [...newest.filter(isOpen), ...newest.filter((s) => !isOpen(s))];
}

function renderSignals() {
  const all = ordered(sig.list);
  const open = all.filter(isOpen).length, closed = all.length - open;
  $("#signals-note").textContent = all.length
    ? `${open} sinyal terbuka, ${closed} ditutup. Sinyal = kasus minggu ini mencapai nilai ambang; verifikasi dalam 24 jam.`
    : "Tidak ada sinyal di wilayah ini.";
  const shown = [...all.filter(isOpen), ...all.filter((s) => !isOpen(s)).slice(0, CLOSED_SHOWN)];
  // Redrawn only when a signal or a message changed, so a note being typed keeps its focus.
  const key = JSON.stringify([shown.map((s) => [s.signal_id, s.revision, s.status]), [...sig.messages]]);
  if (key !== sig.drawn) {
    const active = document.activeElement && document.activeElement.closest ? document.activeElement.closest("li.signal") : null;
    const refocus = active && document.activeElement.classList.contains("sig-note-in") ? active.dataset.signalId : null;
    $("#signals").replaceChildren(...shown.map(card));
    sig.drawn = key;
    const input = refocus && document.querySelector(`#signals li[data-signal-id="${refocus}"] .sig-note-in`);
    if (input) { input.focus(); input.setSelectionRange(input.value.length, input.value.length); }
  }
  const box = $("#signals-section");
  box.classList.toggle("alert", open > 0);
  box.dataset.rendered = String(Number(box.dataset.rendered || 0) + 1);
  // The curve appears with the area's first signal, or once a disease is picked (so a page whose
  // area never had a signal does not call surveillance at all).
  if (!sig.curve && (sig.list.length || sig.picked)) pickCurve(null);
  else if (!sig.curve) {
    $("#curve-title").textContent = "";
    $("#curve-sub").textContent = "Pilih penyakit untuk menampilkan kurva epidemi wilayah ini.";
    $("#curve-plot").replaceChildren();
  }
}

function card(s) {
  const counts = s.counts || {};
  const mean = counts.baseline_mean === null || counts.baseline_mean === undefined ? null : counts.baseline_mean;
  const facts = [`Minggu ${s.week} (mulai ${new Date(s.week_start + "T00:00:00").toLocaleDateString("id-ID", { day: "numeric", month: "short" })})`,
    `${counts.this_week} kasus, ambang ${counts.threshold}`];
  if (mean !== null && (counts.baseline || []).length) facts.push(`rerata ${counts.baseline.length} minggu sebelumnya ${nf.format(mean)}`);
  facts.push(`dinaikkan ${stamp(s.raised_at)}`);
  const li = el("li", { className: `signal st-${s.status}`, dataSignalId: s.signal_id, dataStatus: s.status },
    el("div", { className: "sig-head" },
      el("span", { className: `badge st-${s.status}`, text: SIG_STATUS[s.status] || s.status }),
      el("strong", { className: "sig-disease", text: DISEASES[s.disease] || s.disease }),
      el("span", { className: "sig-area", text: areaText(s) })),
    el("p", { className: "sig-facts", text: facts.join(" · ") }),
    el("p", { className: "clock", dataClock: "1", text: clockText(s, Date.now()) }));
  if (s.note) li.append(el("p", { className: "sig-note", text: `Catatan: ${s.note}` }));
  const actions = el("div", { className: "sig-actions" });
  const show = el("button", { type: "button", className: "ghost", dataCurve: "1", text: "Lihat kurva" });
  show.addEventListener("click", () => pickCurve(s));
  actions.append(show);
  const steps = sig.admin ? STEPS[s.status] || [] : [];
  if (steps.length) {
    const note = el("input", { type: "text", className: "sig-note-in", maxlength: "2000", placeholder: "Catatan (opsional)", "aria-label": "Catatan tindakan" });
    note.value = sig.drafts.get(s.signal_id) || "";
    note.addEventListener("input", () => sig.drafts.set(s.signal_id, note.value));
    actions.append(note);
    for (const [status, outcome] of steps) {
      const b = el("button", { type: "button", className: outcome === "outbreak" ? "act danger" : "act", dataStep: status, dataOutcome: outcome || null,
        text: STEP_LABEL[outcome || status] });
      b.addEventListener("click", () => act(s, status, outcome, li));
      actions.append(b);
    }
  }
  li.append(actions);
  const [msg, kind] = sig.messages.get(s.signal_id) || ["", ""];
  li.append(el("p", { className: `sig-msg ${kind}`.trim(), role: "status", text: msg }));
  return li;
}

function tickClocks() {
  const now = Date.now();
  for (const li of document.querySelectorAll("#signals li.signal")) {
    const s = sig.list.find((x) => x.signal_id === li.dataset.signalId);
    const clock = li.querySelector("[data-clock]");
    if (s && clock) clock.textContent = clockText(s, now);
  }
}

// -- verify / close (admin) --------------------------------------------------------------------

function requestId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function act(s, status, outcome, li) {
  const form = `${s.signal_id}|${status}|${outcome || ""}`;
  if (!sig.pending.has(form)) sig.pending.set(form, requestId());
  const note = (li.querySelector(".sig-note-in") || {}).value || "";
  for (const b of li.querySelectorAll("button.act")) b.disabled = true;
  li.querySelector(".sig-msg").textContent = "Mengirim…";
  let r, d = {};
  try {
    r = await fetch(`/v1/signals/${encodeURIComponent(s.signal_id)}/events`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ status, outcome, note: note.trim() || null, request_id: sig.pending.get(form) }),
    });
    d = await r.json().catch(() => ({}));
  } catch (e) {
    say(s, "Tidak dapat menghubungi server. Coba lagi: permintaan yang sama akan dikirim ulang.", "err");
    return;
  }
  if (r.status === 401) { location.href = "/login"; return; }
  if (r.status === 503) { say(s, "Layanan surveilans sedang tidak dapat dihubungi. Coba lagi sebentar lagi.", "err"); return; }
  sig.pending.delete(form);
  if (d.signal) replace(d.signal);
  if (r.ok) sig.drafts.delete(s.signal_id);
  if (r.ok) say(s, status === "verified" ? "Sinyal diverifikasi." : `Sinyal ditutup: ${OUTCOMES[outcome]}.`, "ok");
  else if (r.status === 409) say(s, `Langkah ini tidak mungkin: status sinyal sekarang ${SIG_STATUS[d.current_status] || d.current_status}.`, "err");
  else if (r.status === 403) say(s, "Ditolak: hanya admin wilayah sinyal ini yang dapat bertindak.", "err");
  else if (r.status === 404) say(s, "Sinyal tidak dikenal oleh layanan surveilans.", "err");
  else say(s, `Ditolak (${r.status}): ${((d.errors || [])[0] || {}).msg || "permintaan tidak valid"}.`, "err");
  refreshCurve(true);
}

function replace(signal) {
  const i = sig.list.findIndex((x) => x.signal_id === signal.signal_id);
  if (i >= 0 && signal.revision >= sig.list[i].revision) sig.list[i] = { ...sig.list[i], ...signal };
}

function say(s, text, kind) {
  sig.messages.set(s.signal_id, [text, kind]);
  renderSignals();
}

// -- the epidemic curve ------------------------------------------------------------------------

function regionArea() {
  const code = state.region;
  const name = (state.data && state.data.region && state.data.region.code === code) ? state.data.region.name : code;
  if (!REGION_RE.test(code)) return { kind: "puskesmas", code, label: `Wilayah ${name}` };
  return { kind: code.split(".").length === 4 ? "village" : "region", code, label: name };
}

function pickCurve(s) {
  const select = $("#curve-disease");
  if (s) sig.curve = { disease: s.disease, kind: s.area_kind, code: s.area_code, label: areaText(s), own: true };
  else {
    const first = ordered(sig.list)[0];
    const area = regionArea();
    sig.curve = { disease: first && !sig.picked ? first.disease : sig.disease, kind: area.kind, code: area.code, label: area.label, own: false };
  }
  select.value = sig.disease = sig.curve.disease;
  refreshCurve(true);
  if (s) $("#curve").scrollIntoView({ block: "nearest" });
}

function refreshCurve(now) {
  if (!sig.curve) return;
  // Live: at most every 5 s, and never at once after a change (surveillance consumes the same visits
  // as this dashboard and may count them a moment later); a poll every 10 s catches the rest.
  const wait = now ? 0 : Math.max(1500, 5000 - (Date.now() - sig.curveAt));
  clearTimeout(sig.curveTimer);
  sig.curveTimer = setTimeout(loadCurve, wait);
}

async function loadCurve() {
  const c = sig.curve;
  sig.curveAt = Date.now();
  const q = new URLSearchParams({ disease: c.disease, area_kind: c.kind, area_code: c.code, weeks: "12" });
  const plot = $("#curve-plot");
  $("#curve-title").textContent = `${DISEASES[c.disease] || c.disease} — ${c.own ? c.label : regionArea().label}`;
  try {
    const r = await fetch("/v1/signals/curve?" + q, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (c !== sig.curve) return;
    if (r.status === 401) { location.href = "/login"; return; }
    if (!r.ok) {
      $("#curve-sub").textContent = r.status === 403 ? "Wilayah ini di luar cakupan token Anda."
        : r.status === 503 ? "Layanan surveilans sedang tidak dapat dihubungi." : `Gagal memuat kurva (${r.status}).`;
      plot.replaceChildren();
      return;
    }
    const d = await r.json();
    $("#curve-title").textContent = `${DISEASES[c.disease] || c.disease} — ${c.own ? c.label : regionArea().label}`;
    const last = d.weeks[d.weeks.length - 1];
    const limit = last.threshold === null ? "tanpa ambang (jumlah desa)" : `ambang ${last.threshold}`;
    $("#curve-sub").textContent = `${d.weeks.length} minggu s.d. ${last.week} · minggu ini ${last.count} kasus, ${limit}`;
    plot.replaceChildren(curveSvg(d.weeks, Math.max(280, $("#curve").clientWidth - 20)));
    $("#curve").dataset.loaded = String(Number($("#curve").dataset.loaded || 0) + 1);
  } catch (e) {
    $("#curve-sub").textContent = "Tidak dapat memuat kurva.";
  }
}

function curveSvg(weeks, W) {
  const left = 30, right = 8, top = 14, bottom = 26, H = 190;
  const plotW = W - left - right, plotH = H - top - bottom, slot = plotW / weeks.length;
  const max = niceMax(Math.max(1, ...weeks.map((w) => w.count), ...weeks.map((w) => w.threshold || 0)));
  const y = (v) => top + plotH - (v / max) * plotH;
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": "Kurva epidemi mingguan" });
  for (const v of [0, max / 2, max]) {
    root.append(svg("line", { class: "axis", x1: left, x2: W - right, y1: y(v), y2: y(v) }),
      svg("text", { class: "val", x: left - 4, y: y(v) + 4, "text-anchor": "end" }, nf.format(v)));
  }
  const every = slot < 34 ? 2 : 1;
  let path = "";
  weeks.forEach((w, i) => {
    const x = left + i * slot;
    const over = w.threshold !== null && w.count >= w.threshold;
    const now = i === weeks.length - 1;
    const bar = svg("rect", { x: (x + slot * 0.15).toFixed(1), y: y(w.count).toFixed(1), width: (slot * 0.7).toFixed(1),
      height: Math.max(0, top + plotH - y(w.count)).toFixed(1), rx: 2, class: `bar ${over ? "red" : "none"}${now ? " now" : ""}`,
      "data-week": w.week, "data-count": w.count, "data-threshold": w.threshold === null ? "" : w.threshold });
    bar.append(svg("title", {}, `${w.week}: ${w.count} kasus${w.threshold === null ? "" : `, ambang ${w.threshold}`}`));
    root.append(bar);
    if (w.count > 0) root.append(svg("text", { class: "val", x: x + slot / 2, y: y(w.count) - 3, "text-anchor": "middle" }, String(w.count)));
    if (i % every === (weeks.length - 1) % every) {
      root.append(svg("text", { class: now ? "lbl-now" : "val", x: x + slot / 2, y: H - 8, "text-anchor": "middle" }, "M" + w.week.slice(6)));
    }
    if (w.threshold !== null) path += `${path ? "L" : "M"}${x.toFixed(1)},${y(w.threshold).toFixed(1)}H${(x + slot).toFixed(1)}`;
  });
  if (path) root.append(svg("path", { class: "tgt", d: path, fill: "none" }));
  return root;
}

// -- start -------------------------------------------------------------------------------------

function follow() {
  if (sig.region === state.region) return;
  sig.region = state.region;
  sig.list = [];
  sig.drawn = null;
  sig.curve = null;
  loadSignals();
}

(function startSignals() {
  const select = $("#curve-disease");
  select.append(el("option", { value: "", text: "— pilih —", disabled: true }));
  for (const [code, label] of Object.entries(DISEASES)) select.append(el("option", { value: code, text: label }));
  select.value = "";
  select.addEventListener("change", () => {
    if (!select.value) return;
    sig.disease = select.value;
    sig.picked = true;
    if (sig.curve) { sig.curve = { ...sig.curve, disease: select.value }; refreshCurve(true); } else pickCurve(null);
  });
  document.addEventListener("jejaring:region", follow);
  document.addEventListener("jejaring:change", () => { loadSignals(); refreshCurve(false); });
  setInterval(tickClocks, 15000);
  setInterval(() => { if (!document.hidden) refreshCurve(false); }, 10000);
  if (state.region) follow();
})();
