/* Settings: the council's schools, bases and colleges with their places and designations, warnings for the gaps
   real extracts leave, and (admins) corrections sent as PATCH /instances/{id}/settings/{setting_id}. Every text is
   inserted with textContent; the API checks the role and validates the change against the whole council. */
"use strict";
(function () {
  const { num, status } = PP;
  // Roles the API lets change a setting (api/routes/settings.py: PATCH is admin only); the API enforces it anyway.
  const EDIT_ROLES = ["admin"];
  // Needs a setting can be designated for: planner.domain.codes.Need less NSA (a plan with no recorded need, which
  // only undesignated settings meet). A stored designation not listed here still gets a box, so it is never lost.
  const NEEDS = [
    ["ASD", "Autistic spectrum disorder"], ["SLCN", "Speech, language and communication needs"],
    ["SEMH", "Social, emotional and mental health"], ["MLD", "Moderate learning difficulty"],
    ["SLD", "Severe learning difficulty"], ["PMLD", "Profound and multiple learning difficulty"],
    ["SPLD", "Specific learning difficulty"], ["HI", "Hearing impairment"], ["VI", "Vision impairment"],
    ["MSI", "Multi-sensory impairment"], ["PD", "Physical disability"], ["DS", "Down syndrome"],
    ["OTH", "Other difficulty or disability"],
  ];
  // Phases and their national curriculum years (planner.domain.codes.PHASE_NCY_RANGES).
  const PHASES = [["early_years", "Early years", -2, -1], ["primary", "Primary", 0, 6], ["secondary", "Secondary", 7, 11],
    ["post16", "Post-16", 12, 14], ["post19", "Post-19", 15, 20]];
  const KIND_LABELS = { mainstream: "Mainstream", resourced_provision: "Resourced provision", sen_unit: "SEN unit",
    special: "Special", semh_special: "SEMH special", pru_ap: "PRU / alternative provision",
    independent_special: "Independent special", post16_specialist: "Post-16 specialist", fe_college: "FE college" };
  const SPECIALIST = new Set(PP.SPECIALIST_KINDS);

  let ctx = null, canEdit = false, settings = [], localityNames = {}, start = 0, selected = null;

  const $ = id => document.getElementById(id);
  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function kindLabel(kind) { return KIND_LABELS[kind] || String(kind).replace(/_/g, " "); }
  function phaseLabel(phase) { const p = PHASES.find(x => x[0] === phase); return p ? p[1] : phase; }
  function undesignated(s) { return SPECIALIST.has(s.kind) && !s.designations.length; }
  function warnings(s) {
    const found = [];
    if (undesignated(s)) found.push("no designations");
    if (s.capacity === 0) found.push("0 places");
    return found;
  }
  function designationText(s) {
    if (s.designations.length) return s.designations.join(", ");
    return SPECIALIST.has(s.kind) ? "none (takes every need)" : "—";
  }
  function phaseText(caps) {
    return PP.inOrder("phase", Object.keys(caps)).map(p => `${phaseLabel(p)} ${num(caps[p])}`).join(" · ");
  }
  function describe(s) {
    const phases = phaseText(s.capacity_by_phase);
    return `${num(s.capacity)} places${phases ? ` (${phases})` : ""}, designations ${designationText(s)}`;
  }

  /* ---- table, filters and paging ---- */

  function filtered() {
    const kind = $("filter-kind").value, area = $("filter-area").value;
    const text = $("filter-text").value.trim().toLowerCase(), onlyWarnings = $("filter-warnings").checked;
    return settings.filter(s => (!kind || s.kind === kind) && (!area || (area === "in") === s.in_area) &&
      (!text || s.id.toLowerCase().includes(text) || s.name.toLowerCase().includes(text)) &&
      (!onlyWarnings || warnings(s).length > 0));
  }

  function cell(row, content, className, header) {
    const node = document.createElement(header ? "th" : "td");
    if (header) node.scope = "row";
    if (className) node.className = className;
    for (const part of [].concat(content)) node.append(typeof part === "string" ? document.createTextNode(part) : part);
    row.append(node);
    return node;
  }

  function drawTable() {
    const rows = filtered();
    const size = Number($("page-size").value);
    if (start >= rows.length) start = Math.max(0, Math.floor((rows.length - 1) / size) * size);
    const page = rows.slice(start, start + size);
    const range = rows.length ? `Rows ${start + 1}-${start + page.length} of ${rows.length}` : `Rows 0 of 0`;
    const filteredNote = rows.length < settings.length ? ` (filtered from ${settings.length} settings)` : "";

    const table = el("table");
    table.id = "settings-grid";
    table.append(el("caption", `Settings of ${ctx.instance.name}: ${range.toLowerCase()}${filteredNote}`));
    const head = el("tr");
    for (const [label, numeric] of [["Id", false], ["Name", false], ["Kind", false], ["Designations", false],
      ["Places", true], ["In area", false], ["Locality", false]]) {
      const th = el("th", label, numeric ? "num" : "");
      th.scope = "col";
      head.append(th);
    }
    table.append(el("thead"));
    table.tHead.append(head);
    const body = el("tbody");
    for (const s of page) {
      const tr = el("tr");
      tr.dataset.id = s.id;
      const found = warnings(s);
      if (found.length) tr.classList.add("row-warn");
      if (s.id === selected) tr.classList.add("row-selected");
      const pick = el("button", s.id, "small secondary pick");
      pick.type = "button";
      pick.setAttribute("aria-label", `${canEdit ? "Edit" : "Show"} ${s.id} ${s.name}`);
      pick.addEventListener("click", () => choose(s.id));
      cell(tr, pick, "", true);
      cell(tr, s.name);
      cell(tr, kindLabel(s.kind));
      const needs = [designationText(s)];
      if (undesignated(s)) needs.push(" ", el("span", "no designations", "tag warn"));
      cell(tr, needs);
      const places = [num(s.capacity)];
      if (s.capacity === 0) places.push(" ", el("span", "0 places", "tag bad"));
      const phases = phaseText(s.capacity_by_phase);
      if (phases) places.push(el("span", phases, "phase-caps"));
      cell(tr, places, "num");
      cell(tr, s.in_area ? "yes" : "no (out of area)");
      cell(tr, s.locality_id ? `${localityNames[s.locality_id] || s.locality_id} (${s.locality_id})` : "—");
      body.append(tr);
    }
    table.append(body);

    const wrap = el("div", null, "table-wrap");
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", "Settings table");
    wrap.append(table);
    const box = $("settings-table");
    box.replaceChildren(wrap);
    if (!rows.length) box.append(el("p", "No settings match these filters.", "muted"));

    $("page-info").textContent = range;
    $("page-prev").disabled = start === 0;
    $("page-next").disabled = start + size >= rows.length;
  }

  function movePage(step) {
    const size = Number($("page-size").value);
    start = Math.max(0, start + step * size);
    drawTable();
    const button = step < 0 ? $("page-prev") : $("page-next");
    if (button.disabled) (step < 0 ? $("page-next") : $("page-prev")).focus();
  }

  function refilter() { start = 0; drawTable(); }

  function summarise() {
    const none = settings.filter(undesignated).length, empty = settings.filter(s => s.capacity === 0).length;
    const box = $("warning-summary");
    if (!none && !empty) {
      box.textContent = "No warnings: every specialist setting has designations and every setting has places.";
      box.className = "muted";
      return;
    }
    const parts = [];
    if (none) parts.push(`${none} specialist setting${none === 1 ? " has" : "s have"} no designations (taken to meet every need)`);
    if (empty) parts.push(`${empty} setting${empty === 1 ? " has" : "s have"} 0 places`);
    box.textContent = `Warnings: ${parts.join("; ")}. Tick "Only settings with warnings" to list them.`;
    box.className = "notice";
  }

  /* ---- the edit form ---- */

  function needBox(code, label) {
    const id = `need-${code}`;
    const div = el("div", null, "check");
    const input = el("input");
    input.type = "checkbox"; input.id = id; input.value = code;
    const text = el("label", `${code} – ${label}`);
    text.htmlFor = id;
    div.append(input, text);
    $("edit-designations").append(div);
    return input;
  }

  function phasesFor(s) {
    const own = PHASES.filter(p => p[3] >= s.ncy_min && p[2] <= s.ncy_max).map(p => p[0]);
    return own.concat(Object.keys(s.capacity_by_phase).filter(p => !own.includes(p)));
  }

  function fill(s) {
    selected = s.id;
    const target = $("edit-target");
    target.replaceChildren(el("strong", `${s.name} (${s.id})`),
      ` · ${kindLabel(s.kind)} · NCY ${s.ncy_min} to ${s.ncy_max} · now ${describe(s)}`);
    const capacity = $("edit-capacity");
    capacity.value = String(s.capacity);
    for (const code of s.designations) if (!$(`need-${code}`)) needBox(code, "stored designation");
    for (const box of document.querySelectorAll("#edit-designations input")) box.checked = s.designations.includes(box.value);
    const phases = $("edit-phases");
    phases.replaceChildren();
    for (const phase of phasesFor(s)) {
      const range = PHASES.find(p => p[0] === phase);
      const div = el("div");
      const id = `phase-${phase}`;
      const label = el("label", range ? `${range[1]} (NCY ${range[2]} to ${range[3]})` : phase);
      label.htmlFor = id;
      const input = el("input");
      input.type = "number"; input.id = id; input.min = "0"; input.step = "1"; input.dataset.phase = phase;
      input.setAttribute("inputmode", "numeric");
      input.value = phase in s.capacity_by_phase ? String(s.capacity_by_phase[phase]) : "";
      div.append(label, input);
      phases.append(div);
    }
    $("edit-fields").disabled = !canEdit;
    clearInvalid();
  }

  function choose(id) {
    const s = settings.find(x => x.id === id);
    if (!s) return;
    fill(s);
    result("", "");
    drawTable();
    (canEdit ? $("edit-capacity") : $("edit-target")).focus();
  }

  function clearInvalid() {
    for (const input of document.querySelectorAll("#edit-fields input[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
      if (input.id === "edit-capacity") input.setAttribute("aria-describedby", "edit-capacity-hint");
      else input.removeAttribute("aria-describedby");
    }
  }

  function markInvalid(field) {
    let input = null;
    if (/^capacity($|\.)/.test(field)) input = $("edit-capacity");
    const phase = /^capacity_by_phase[.[]([a-z0-9_]+)/.exec(field);
    if (phase) input = $(`phase-${phase[1]}`);
    if (!input) return;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", (input.id === "edit-capacity" ? "edit-capacity-hint " : "") + "edit-result");
  }

  /* Show a message in the live region and move focus to it. kind: "ok", "error" or "". */
  function result(text, kind, items) {
    const box = $("edit-result");
    box.className = "status" + (kind ? " " + kind : "");
    box.replaceChildren();
    if (!text) return;
    box.append(el("p", text));
    if (items && items.length) {
      const list = el("ul");
      for (const item of items) list.append(el("li", item));
      box.append(list);
    }
    box.focus();
  }

  /* The field a problem's `loc` names: request-body paths lose "body"; integrity problems name the record field. */
  function fieldOf(error) {
    const loc = (error.loc || []).map(String);
    if (error.type === "integrity" && loc.length) return loc[loc.length - 1];
    return loc.filter(part => part !== "body").join(".");
  }

  function showProblem(code, problem) {
    const title = (problem && problem.title) || `HTTP ${code}`;
    const detail = (problem && problem.detail) || "";
    const errors = (problem && Array.isArray(problem.errors)) ? problem.errors : [];
    const items = errors.map(e => { const field = fieldOf(e); markInvalid(field); return field ? `${field}: ${e.msg}` : String(e.msg); });
    let text = `Not saved (${title}${detail ? ": " + detail : ""}). Nothing was changed.`;
    if (code === 403) text += " Only an administrator can change settings.";
    result(text, "error", items);
  }

  function sameCaps(a, b) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every(k => b[k] === a[k]);
  }

  async function save(event) {
    event.preventDefault();
    const current = settings.find(s => s.id === selected);
    if (!canEdit || !current) return;
    clearInvalid();
    const capacityText = $("edit-capacity").value.trim();
    if (capacityText === "") {
      markInvalid("capacity");
      result("Not saved: enter the number of places (a whole number, 0 or more).", "error");
      return;
    }
    const change = {};
    if (Number(capacityText) !== current.capacity) change.capacity = Number(capacityText);
    const needs = [...document.querySelectorAll("#edit-designations input:checked")].map(b => b.value).sort();
    if (needs.join(",") !== [...current.designations].sort().join(",")) change.designations = needs;
    const caps = {};
    for (const input of document.querySelectorAll("#edit-phases input")) {
      if (input.value.trim() !== "") caps[input.dataset.phase] = Number(input.value);
    }
    if (!sameCaps(caps, current.capacity_by_phase)) change.capacity_by_phase = caps;
    if (!Object.keys(change).length) { result("Nothing to save: these are the stored values.", ""); return; }

    const button = $("edit-save");
    button.disabled = true;
    $("edit-result").textContent = "Saving…";
    let response, body = null;
    try {
      response = await PP.raw(`instances/${ctx.instanceId}/settings/${encodeURIComponent(current.id)}`,
        { method: "PATCH", json: change });
      try { body = await response.json(); } catch (e) { body = null; }
    } catch (e) {
      result(`Not saved: the service could not be reached (${e.message}).`, "error");
      return;
    } finally { button.disabled = false; }
    if (response.status === 401) { PP.signOut("Your key was not accepted: sign in again."); return; }
    if (!response.ok || !body) { showProblem(response.status, body); return; }
    settings = settings.map(s => (s.id === body.id ? body : s));
    fill(body);
    drawTable();
    summarise();
    result(`Saved ${body.name} (${body.id}). Before: ${describe(current)}. Now: ${describe(body)}. ` +
      "Run sufficiency and scenarios again to use the new figures.", "ok");
  }

  function reset() {
    const current = settings.find(s => s.id === selected);
    if (!current) return;
    fill(current);
    result("Changes undone: the form shows the stored values.", "");
  }

  PP.onReady(async (c) => {
    ctx = c;
    canEdit = EDIT_ROLES.includes(c.role);
    status("Loading settings…");
    const [items, localities] = await Promise.all([PP.allPages(`instances/${c.instanceId}/settings`),
      PP.allPages(`instances/${c.instanceId}/localities`)]);
    settings = items;
    localityNames = Object.fromEntries(localities.map(l => [l.id, l.name]));
    const kinds = $("filter-kind");
    const counts = {};
    for (const s of settings) counts[s.kind] = (counts[s.kind] || 0) + 1;
    for (const kind of Object.keys(counts).sort((a, b) => kindLabel(a).localeCompare(kindLabel(b)))) {
      const option = el("option", `${kindLabel(kind)} (${counts[kind]})`);
      option.value = kind;
      kinds.append(option);
    }
    for (const [code, label] of NEEDS) needBox(code, label);
    $("edit-note").textContent = canEdit
      ? "Choose a setting, change its places or designations and save. The change is checked against the whole council's data; a bad value stores nothing."
      : `Read only: only an administrator can change places and designations (you are signed in as ${c.role}).`;
    for (const id of ["filter-kind", "filter-area", "filter-warnings", "page-size"]) $(id).addEventListener("change", refilter);
    $("filter-text").addEventListener("input", refilter);
    $("page-prev").addEventListener("click", () => movePage(-1));
    $("page-next").addEventListener("click", () => movePage(1));
    $("edit-form").addEventListener("submit", save);
    $("edit-reset").addEventListener("click", reset);
    summarise();
    drawTable();
    status("");
  });
})();
