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

  /* Start a run and follow it with a progress bar until it finishes; resolves with the finished run. */
  async function runAndWait(body, progressBox) {
    const box = typeof progressBox === "string" ? document.getElementById(progressBox) : progressBox;
    box.hidden = false;
    box.innerHTML = `<label>Run progress <progress max="100" value="0"></progress></label>
      <span class="run-message" aria-live="polite">queued</span>
      <button type="button" class="secondary run-cancel">Cancel run</button>`;
    const bar = box.querySelector("progress"), msg = box.querySelector(".run-message");
    const cancel = box.querySelector(".run-cancel");
    let run = await api("runs", { method: "POST", json: body });
    box.dataset.runId = run.id;
    cancel.onclick = async () => { try { await api(`runs/${run.id}`, { method: "DELETE" }); } catch (e) { /* done */ } };
    while (run.status === "queued" || run.status === "running") {
      await new Promise(r => setTimeout(r, 400));
      run = await api(`runs/${run.id}`);
      bar.value = Math.round(100 * (run.progress || 0));
      msg.textContent = `${run.status}${run.message ? ": " + run.message : ""}`;
    }
    bar.value = run.status === "succeeded" ? 100 : bar.value;
    msg.textContent = run.status === "succeeded"
      ? `Finished (${run.kind} run ${run.id.slice(0, 8)})` : `Run ${run.status}: ${run.error || run.message || ""}`;
    cancel.remove();
    box.dataset.status = run.status;
    if (run.status !== "succeeded") throw new ApiError(500, `the ${run.kind} run ${run.status}: ${run.error || run.message || ""}`);
    return run;
  }

  /* The newest succeeded run of a kind for an instance or a scenario (with its result), or null. */
  async function latestRun(kind, target) {
    const q = new URLSearchParams({ kind, status: "succeeded", limit: "1" });
    if (target.scenario_id) q.set("scenario_id", target.scenario_id); else q.set("instance_id", target.instance_id);
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
    if (!hasRole(pageRoles)) { document.getElementById("role-denied").hidden = false; return; }
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

  const plotConfig = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["toImage", "sendDataToCloud"] };
  const SPECIALIST_KINDS = ["resourced_provision", "sen_unit", "special", "semh_special", "independent_special",
    "post16_specialist", "pru_ap"];
  function isOpenIn(setting, year) {
    if (setting.opens_year !== null && setting.opens_year !== undefined && year < setting.opens_year) return false;
    if (setting.status === "proposed" && (setting.opens_year === null || setting.opens_year === undefined)) return false;
    return setting.closes_year === null || setting.closes_year === undefined || year < setting.closes_year;
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

  window.PP = { api, raw, key, status, esc, num, money, academicYear, table, runAndWait, latestRun, onReady,
    download, downloadFrom, csv, plotConfig, isOpenIn, allPages, SPECIALIST_KINDS, ApiError, KEY, ROLE,
    detectRole, signOut, hasRole };
  document.addEventListener("DOMContentLoaded", boot);
})();
