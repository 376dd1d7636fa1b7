/* placeplan dashboard: shared helpers. Every figure comes from the JSON API, called with the key kept in
   sessionStorage; the API checks the role on every call. No external requests. */
"use strict";
(function () {
  const KEY = "placeplan.key", ROLE = "placeplan.role", INSTANCE = "placeplan.instance";
  const API = "/api/v1";
  const FAR_ID = 2147483647; // an id no record has: role probes never touch data

  function key() { return sessionStorage.getItem(KEY); }

  class ApiError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  async function raw(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ Authorization: "Bearer " + key() }, opts.headers);
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    return fetch(path.startsWith("/") ? path : API + "/" + path, opts);
  }

  async function api(path, options) {
    const response = await raw(path.startsWith("/") ? path : API + "/" + path, options);
    if (response.status === 401) { signOut("Your key was not accepted: sign in again."); }
    if (!response.ok) {
      let detail = response.statusText;
      try { const body = await response.json(); detail = body.detail || body.title || detail; } catch (e) { /* */ }
      throw new ApiError(response.status, detail);
    }
    if (response.status === 204) return null;
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  async function detectRole() {
    // A "who am I" route, when the service has one; otherwise probe routes that only one role may call.
    for (const path of ["/api/v1/me", "/api/v1/whoami"]) {
      const r = await raw(path);
      if (r.ok) { const body = await r.json(); if (body && body.role) return body.role; }
      if (r.status === 401) throw new ApiError(401, "the API key is not valid");
    }
    const check = await raw(API + "/instances?limit=1");
    if (check.status === 401) throw new ApiError(401, "the API key is not valid");
    if ((await raw(API + "/audit?limit=1")).ok) return "admin";
    const learner = await raw(`${API}/instances/${FAR_ID}/learners/role-probe`);
    if (learner.status === 404) return "officer";
    const expansion = await raw(API + "/runs", { method: "POST", json: { kind: "expansion", instance_id: FAR_ID } });
    if (expansion.status === 404) return "planner";
    if ((await raw(API + "/scenarios?limit=1")).ok) return "commissioner";
    throw new ApiError(403, "this key's role could not be worked out");
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY); sessionStorage.removeItem(ROLE); sessionStorage.removeItem(INSTANCE);
    window.location.href = "/" + (message ? "?signed_out=" + encodeURIComponent(message) : "");
  }

  function status(text, kind) {
    const el = document.getElementById("status");
    if (!el) return;
    el.textContent = text || "";
    el.className = "status" + (kind ? " " + kind : "");
  }

  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  const fmtInt = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });
  const fmt1 = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });
  function num(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    return digits ? fmt1.format(v) : fmtInt.format(v);
  }
  function money(v) {
    if (v === null || v === undefined) return "—";
    if (Math.abs(v) >= 1e6) return "£" + fmt1.format(v / 1e6) + "m";
    return "£" + fmtInt.format(v);
  }
  /* Money in a table: whole pounds, always ("£234,000", "£4,123,000"), so a column never mixes "£234,000" with
     "£4.1m" (money() abbreviates millions: for a figure in a sentence or a card). */
  function pounds(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    return "£" + fmtInt.format(Math.round(v));
  }
  function academicYear(y) { y = Number(y); return `${y}/${String((y + 1) % 100).padStart(2, "0")}`; }

  /* A table: columns [{key, label, format?, numeric?}], rows of objects. Returns the <table>. */
  function table(container, columns, rows, options) {
    const opts = options || {};
    const el = typeof container === "string" ? document.getElementById(container) : container;
    const head = columns.map(c => `<th scope="col"${c.numeric ? ' class="num"' : ""}>${esc(c.label)}</th>`).join("");
    const body = rows.map(r => "<tr>" + columns.map((c, i) => {
      const value = c.format ? c.format(r[c.key], r) : esc(r[c.key]);
      const tag = i === 0 && opts.rowHeaders ? "th scope=\"row\"" : "td";
      return `<${tag}${c.numeric ? ' class="num"' : ""}>${value}</${tag.split(" ")[0]}>`;
    }).join("") + "</tr>").join("");
    const caption = opts.caption ? `<caption>${esc(opts.caption)}</caption>` : "";
    el.innerHTML = `<div class="table-wrap" tabindex="0" role="region" aria-label="${esc(opts.caption || "table")}">` +
      `<table${opts.id ? ` id="${opts.id}"` : ""}>${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
    return el.querySelector("table");
  }

  /* Start a run and follow it with a progress bar until it finishes; resolves with the finished run. The bar never
     goes backwards and an older message never replaces a newer one (a poll may see progress from an earlier step). */
  async function runAndWait(body, progressBox) {
    const box = typeof progressBox === "string" ? document.getElementById(progressBox) : progressBox;
    box.hidden = false;
    box.setAttribute("tabindex", "-1");
    delete box.dataset.status;
    box.innerHTML = `<label>Run progress <progress max="100" value="0"></progress></label>
      <span class="run-message" aria-live="polite">Queued</span>
      <button type="button" class="secondary run-cancel">Cancel run</button>`;
    const bar = box.querySelector("progress"), msg = box.querySelector(".run-message");
    const cancel = box.querySelector(".run-cancel");
    let run = await api("runs", { method: "POST", json: body });
    box.dataset.runId = run.id;
    cancel.onclick = async () => { try { await api(`runs/${run.id}`, { method: "DELETE" }); } catch (e) { /* done */ } };
    let best = 0;
    while (run.status === "queued" || run.status === "running") {
      await new Promise(r => setTimeout(r, 400));
      run = await api(`runs/${run.id}`);
      const percent = Math.round(100 * (run.progress || 0));
      if (percent >= best) {
        best = percent;
        bar.value = percent;
        msg.textContent = `${label("status", run.status)}${run.message ? ": " + run.message : ""}`;
      }
    }
    bar.value = run.status === "succeeded" ? 100 : best;
    msg.textContent = run.status === "succeeded"
      ? `Finished (${run.kind} run ${run.id.slice(0, 8)})` : `Run ${label("status", run.status).toLowerCase()}: ${run.error || run.message || ""}`;
    const cancelHadFocus = document.activeElement === cancel;
    cancel.remove();
    if (cancelHadFocus) box.focus();
    box.dataset.status = run.status;
    if (run.status !== "succeeded") throw new ApiError(500, `the ${run.kind} run ${run.status}: ${run.error || run.message || ""}`);
    return run;
  }

  /* The newest succeeded run of a kind for an instance or a scenario (with its result), or null. */
  async function latestRun(kind, target) {
    const q = new URLSearchParams({ kind, status: "succeeded", limit: "1" });
    if (target.scenario_id) q.set("scenario_id", target.scenario_id); else q.set("instance_id", target.instance_id);
    // The council's own figures: a shipped scenario's run has no scenario_id either, so ask for the baseline's
    if (!target.scenario_id && kind === "scenario") q.set("scenario_name", "baseline");
    const page = await api("runs?" + q.toString());
    const match = page.items.find(r => target.scenario_id ? true : r.scenario_id === null) || null;
    return match ? api(`runs/${match.id}`) : null;
  }

  function hasRole(roles) { return roles.split(/\s+/).includes(sessionStorage.getItem(ROLE)); }

  async function chooseInstance(role) {
    const select = document.getElementById("instance-select");
    const page = await api("instances?limit=500");
    const items = page.items;
    if (!items.length) {
      select.innerHTML = "<option value=''>No council data stored</option>";
      return null;
    }
    let current = Number(sessionStorage.getItem(INSTANCE));
    if (!items.some(i => i.id === current)) current = items[items.length - 1].id;
    select.innerHTML = items.map(i =>
      `<option value="${i.id}"${i.id === current ? " selected" : ""}>${esc(i.name)} (#${i.id}, ${academicYear(i.base_year)})</option>`).join("");
    sessionStorage.setItem(INSTANCE, String(current));
    select.onchange = () => { sessionStorage.setItem(INSTANCE, select.value); window.location.reload(); };
    const instance = items.find(i => i.id === current);
    document.getElementById("instance-info").textContent =
      `${num(instance.learners)} learners with plans · ${num(instance.settings)} settings · ${num(instance.localities)} localities`;
    return instance;
  }

  const readyCallbacks = [];
  function onReady(callback) { readyCallbacks.push(callback); }

  async function boot() {
    const pageRoles = document.body.dataset.roles;
    if (document.body.dataset.page === "signin") return;
    if (!key()) { window.location.href = "/"; return; }
    let role = sessionStorage.getItem(ROLE);
    try {
      if (!role) { role = await detectRole(); sessionStorage.setItem(ROLE, role); }
    } catch (e) { signOut(e.message); return; }
    document.getElementById("who").textContent = `Signed in as ${role}`;
    document.getElementById("sign-out").onclick = () => signOut();
    for (const li of document.querySelectorAll("#main-nav li")) li.hidden = !hasRole(li.dataset.roles);
    if (!hasRole(pageRoles)) {
      // Nothing is fetched for a page the role may not use, so no empty "Council data" list either.
      document.getElementById("role-denied").hidden = false;
      const bar = document.querySelector(".context-bar");
      if (bar) bar.hidden = true;
      return;
    }
    document.getElementById("page-body").hidden = false;
    let instance = null;
    try { instance = await chooseInstance(role); } catch (e) { status("Could not list council data: " + e.message, "error"); return; }
    if (!instance) {
      status(role === "admin" ? "No council data yet: build the demo council below." : "No council data stored yet: ask an administrator to load it.", "error");
      if (role === "admin") offerDemo();
      return;
    }
    const ctx = { role, instance, instanceId: instance.id };
    for (const cb of readyCallbacks) {
      try { await cb(ctx); } catch (e) { status(e.message, "error"); console.error(e); }
    }
    document.body.dataset.ready = "true"; // the page's controls are wired (tests and assistive tech can start)
  }

  function offerDemo() {
    const body = document.getElementById("page-body");
    const div = document.createElement("div");
    div.className = "card";
    div.innerHTML = `<button type="button" id="build-demo">Build the demo council (Northvale)</button>`;
    body.prepend(div);
    div.querySelector("button").onclick = async () => {
      status("Building the demo council…");
      await api("demo", { method: "POST", json: { preset: "demo", seed: 2026 } });
      window.location.reload();
    };
  }

  function download(filename, text, type) {
    const blob = new Blob([text], { type: type || "text/csv" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = filename;
    document.body.appendChild(a); a.click(); a.remove();
  }

  async function downloadFrom(path, filename) {
    let response = await raw(path);
    if (response.status === 202) {  // a forecast download still computing as a run: poll it, then fetch its file
      const run = await response.json();
      for (let state = run.status; state === "queued" || state === "running"; ) {
        await new Promise(resolve => setTimeout(resolve, 2000));
        state = (await (await raw(`/api/v1/runs/${run.id}?include_result=false`)).json()).status;
      }
      response = await raw(run.download);
    }
    if (!response.ok) throw new ApiError(response.status, `download failed (${response.status})`);
    const blob = await response.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = filename;
    document.body.appendChild(a); a.click(); a.remove();
  }

  function csv(columns, rows) {
    const q = v => { const s = v === null || v === undefined ? "" : String(v); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
    return [columns.map(q).join(",")].concat(rows.map(r => columns.map(c => q(r[c])).join(","))).join("\n") + "\n";
  }

  /* Labels, orders and palettes from the server (api/web/labels.py), embedded in every page as JSON. */
  const DATA = JSON.parse((document.getElementById("pp-data") || { textContent: "{}" }).textContent || "{}");
  const LABELS = DATA.labels || {}, ORDER = DATA.order || {}, PALETTE = DATA.palette || { categorical: [] };
  const POOL_OF_KIND = DATA.pool_of_kind || {};
  /* Words for a code: label("kind", "resourced_provision") -> "Resourced provision"; unknown codes are made readable. */
  function label(group, code) {
    if (code === null || code === undefined || code === "") return "—";
    const words = (LABELS[group] || {})[code];
    if (words) return words;
    const text = String(code).replace(/_/g, " ");
    return /^[A-Z ]+$/.test(text) && group === "status" ? text.charAt(0) + text.slice(1).toLowerCase() : text;
  }
  /* "ASD (Autistic spectrum disorder)": a need code with its words. */
  function needLabel(code) { const w = (LABELS.need || {})[code]; return w ? `${code} (${w})` : String(code); }
  /* "Northvale East (NV-EAST)": a code shown with its name when there is one. */
  function named(name, code) { return name && name !== code ? `${name} (${code})` : String(code); }
  /* Sort codes in their school/SEN2 order (phases early years to post-19), unknown codes last, alphabetically. */
  function inOrder(group, codes) {
    const order = ORDER[group] || [];
    const rank = c => (order.indexOf(c) < 0 ? order.length : order.indexOf(c));
    return [...codes].sort((a, b) => rank(a) - rank(b) || String(a).localeCompare(String(b)));
  }

  /* Plotly, configured for an offline product with special-category data: no cloud, share or Chart Studio links,
     no logo; the modebar keeps zoom, pan, reset and the local PNG download. */
  const plotConfig = { displaylogo: false, responsive: true, showLink: false, sendData: false, showSendToCloud: false,
    showEditInChartStudio: false, linkText: "", displayModeBar: true,
    modeBarButtonsToRemove: ["sendDataToCloud", "editInChartStudio", "lasso2d", "select2d"] };

  /* The figures of a chart as table rows: a heatmap's grid, or one column per line/bar series against x. */
  function chartTable(traces, layout) {
    const axisTitle = a => (a && a.title && (a.title.text || a.title)) || "";
    const heat = traces.find(t => t.type === "heatmap");
    if (heat) {
      const columns = [{ key: "_y", label: axisTitle(layout.yaxis) || "Row" }].concat(
        (heat.x || []).map((x, i) => ({ key: "c" + i, label: String(x), numeric: true, format: v => num(v, 1) })));
      const rows = (heat.y || []).map((y, r) => Object.assign({ _y: y }, ...(heat.x || []).map((x, i) => ({ ["c" + i]: heat.z[r][i] }))));
      return { columns, rows, rowHeaders: true };
    }
    const series = traces.filter(t => Array.isArray(t.x) && Array.isArray(t.y) && t.mode !== "text");
    if (!series.length) return null;
    const xs = [];
    for (const t of series) for (const x of t.x) if (!xs.includes(x)) xs.push(x);
    const columns = [{ key: "_x", label: axisTitle(layout.xaxis) || "x" }].concat(series.map((t, i) => ({
      key: "s" + i, label: t.name || `Series ${i + 1}`, numeric: true, format: v => (typeof v === "number" ? num(v, 1) : esc(v)) })));
    const rows = xs.map(x => Object.assign({ _x: x }, ...series.map((t, i) => ({ ["s" + i]: t.y[t.x.indexOf(x)] }))));
    return { columns, rows, rowHeaders: true };
  }

  /* Every chart goes through here: the safe config, the Okabe-Ito colourway, a text alternative before the chart and
     the figures as a table behind it (a <details> after the chart). The chart container is a plain element (no
     role="img": Plotly puts interactive controls inside it, and an image role may not contain any).
     options: { alt: sentence, table: false | {columns, rows, caption}, tableNote: text when there is no table,
     keepLegend: the chart places its own legend on phones }. */
  function plot(target, traces, layout, options) {
    const el = typeof target === "string" ? document.getElementById(target) : target;
    const opts = options && options !== plotConfig ? options : {};
    if (!el.dataset.alt) el.dataset.alt = el.getAttribute("aria-label") || ""; // a template's words for the chart
    el.removeAttribute("role");
    el.removeAttribute("aria-label");
    const lay = Object.assign({ colorway: PALETTE.categorical, font: { family: "system-ui, sans-serif", size: 13 } }, layout);
    const title = lay.title && (lay.title.text || lay.title);
    const id = el.id || ("chart-" + Math.random().toString(36).slice(2));
    let summary = document.getElementById(id + "-alt");
    if (!summary) {
      summary = document.createElement("p");
      summary.id = id + "-alt"; summary.className = "chart-alt";
      el.before(summary);
    }
    const spec = opts.table === false ? null : (opts.table || chartTable(traces, lay));
    const words = (opts.alt || [title, el.dataset.alt].filter(Boolean).join(". ")).replace(/\.?\s*$/, ".");
    summary.textContent = words +
      (spec ? " The figures are in the table after the chart." : opts.tableNote ? " " + opts.tableNote : "");
    el.setAttribute("aria-describedby", summary.id);
    let details = document.getElementById(id + "-data");
    if (spec) {
      if (!details) {
        details = document.createElement("details");
        details.id = id + "-data"; details.className = "chart-data";
        details.innerHTML = `<summary>Table of the figures in this chart</summary><div></div>`;
        el.after(details);
      }
      table(details.querySelector("div"), spec.columns, spec.rows,
        { caption: spec.caption || title || el.dataset.alt || "Figures", rowHeaders: spec.rowHeaders !== false });
    } else if (details) details.remove();
    // A phone: the title wrapped to the width, the legend under the axis, no modebar over the title.
    const narrow = el.clientWidth > 0 && el.clientWidth < 600;
    if (narrow && title) {
      const lines = wrapWords(String(title), Math.max(20, Math.floor(el.clientWidth / 8.5)));
      lay.title = { text: lines.join("<br>"), font: { size: 14 } };
      lay.margin = Object.assign({}, lay.margin, { t: 24 + 20 * lines.length });
    }
    if (narrow) {
      // Room on the right for the last x label ("2036/37"), which Plotly slants to the right on a phone; x labels
      // slanted at 45 degrees (Plotly's own choice, 90, cut long ones such as "Northvale Town" at the bottom).
      lay.margin = Object.assign({}, lay.margin, { l: Math.min((lay.margin || {}).l || 60, 56), r: Math.max(Math.min((lay.margin || {}).r || 20, 10), 28) });
      lay.xaxis = Object.assign({ tickangle: -45 }, lay.xaxis);
      if (lay.legend && !opts.keepLegend) {
        // The legend at the foot of the figure (container coordinates), below the slanted labels and the axis
        // title rather than over them; the figure grows by a line per legend entry.
        const entries = traces.filter(t => t.showlegend !== false && t.name).length;
        lay.legend = Object.assign({}, lay.legend, { orientation: "h", x: 0, xanchor: "left", yref: "container", y: 0, yanchor: "bottom" });
        if (!lay.height) {
          lay.margin.b = Math.max(lay.margin.b || 50, 100) + 22 * entries;
          lay.height = 330 + (lay.margin.t || 50) + lay.margin.b;
        }
      }
    }
    return Plotly.react(el, traces, lay, Object.assign({}, plotConfig, narrow ? { displayModeBar: false } : {}));
  }

  function wrapWords(text, width) {
    const lines = [];
    for (const word of text.split(" ")) {
      if (lines.length && (lines[lines.length - 1] + " " + word).length <= width) lines[lines.length - 1] += " " + word;
      else lines.push(word);
    }
    return lines;
  }

  /* Integer colour-bar ticks from 0 to max (counts of learners are whole: never "0.5 learners"). */
  function wholeTicks(max) {
    const top = Math.max(1, Math.ceil(max));
    const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find(s => top / s <= 6) || Math.ceil(top / 5);
    const ticks = [];
    for (let v = 0; v <= top; v += step) ticks.push(v);
    return { tickmode: "array", tickvals: ticks, ticktext: ticks.map(v => num(v)) };
  }

  /* A table shown a page at a time (no row cap): "Rows 1-50 of 812", previous/next and rows per page. Keeps its
     page across redraws of the same rows; options.resetPage starts again at the first row. */
  function pagedTable(container, columns, rows, options) {
    const el = typeof container === "string" ? document.getElementById(container) : container;
    const opts = options || {};
    if (!el.querySelector(":scope > .paged-body")) {
      const name = esc(opts.pagerLabel || opts.caption || "rows");
      el.innerHTML = `<div class="paged-body"></div><nav class="pager" aria-label="Pages of ${name}">
        <button type="button" class="secondary pg-prev">Previous rows</button>
        <span class="pg-info" aria-live="polite"></span>
        <button type="button" class="secondary pg-next">Next rows</button>
        <label>Rows per page <select class="pg-size">${[25, 50, 100, 200].map(n =>
          `<option value="${n}"${n === (opts.pageSize || 50) ? " selected" : ""}>${n}</option>`).join("")}</select></label></nav>`;
    }
    const body = el.querySelector(".paged-body"), info = el.querySelector(".pg-info");
    const prev = el.querySelector(".pg-prev"), next = el.querySelector(".pg-next"), size = el.querySelector(".pg-size");
    let start = opts.resetPage ? 0 : Number(el.dataset.start || 0);
    const draw = () => {
      const n = Number(size.value);
      if (start >= rows.length) start = Math.max(0, Math.floor((rows.length - 1) / n) * n);
      const end = Math.min(rows.length, start + n);
      el.dataset.start = String(start);
      const range = rows.length ? `rows ${num(start + 1)}–${num(end)} of ${num(rows.length)}` : "no rows";
      table(body, columns, rows.slice(start, end), Object.assign({}, opts, { caption: `${opts.caption || ""} (${range})` }));
      info.textContent = rows.length ? `Rows ${num(start + 1)}–${num(end)} of ${num(rows.length)}` : "No rows";
      prev.disabled = start === 0; next.disabled = end >= rows.length;
    };
    prev.onclick = () => { start = Math.max(0, start - Number(size.value)); draw(); };
    next.onclick = () => { start += Number(size.value); draw(); };
    size.onchange = () => { start = 0; draw(); };
    draw();
    return body.querySelector("table");
  }

  const SPECIALIST_KINDS = ["resourced_provision", "sen_unit", "special", "semh_special", "independent_special",
    "post16_specialist", "pru_ap"];
  function isOpenIn(setting, year) {
    if (setting.opens_year !== null && setting.opens_year !== undefined && year < setting.opens_year) return false;
    if (setting.status === "proposed" && (setting.opens_year === null || setting.opens_year === undefined)) return false;
    return setting.closes_year === null || setting.closes_year === undefined || year < setting.closes_year;
  }
  /* Scrollable table frames take keyboard focus (so their content can be scrolled without a mouse); a frame
     that shows all of its table does not, so it is not an extra Tab stop. Called after drawing and on resize. */
  function focusWhenScrolling(root) {
    for (const wrap of root.querySelectorAll(".table-wrap")) {
      const scrolls = wrap.scrollWidth > wrap.clientWidth + 1 || wrap.scrollHeight > wrap.clientHeight + 1;
      if (scrolls) wrap.setAttribute("tabindex", "0"); else wrap.removeAttribute("tabindex");
    }
  }
  async function allPages(path) {
    const items = [];
    for (let offset = 0; ; offset += 500) {
      const sep = path.includes("?") ? "&" : "?";
      const page = await api(`${path}${sep}limit=500&offset=${offset}`);
      items.push(...page.items);
      if (items.length >= page.total || !page.items.length) return items;
    }
  }

  window.PP = { api, raw, key, status, esc, num, money, pounds, academicYear, table, runAndWait, latestRun, onReady,
    download, downloadFrom, csv, plotConfig, plot, wholeTicks, pagedTable, label, needLabel, named, inOrder, PALETTE,
    isOpenIn, allPages, focusWhenScrolling, SPECIALIST_KINDS, POOL_OF_KIND, ORDER, ApiError, KEY, ROLE,
    detectRole, signOut, hasRole };
  document.addEventListener("DOMContentLoaded", boot);
})();
