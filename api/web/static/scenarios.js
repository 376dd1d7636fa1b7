/* Scenarios: the baseline, shipped and stored scenarios; run, compare (differences against the baseline, money),
   create, edit and delete (runs kept, marked stale), and the expansion optimiser. Every chart has its table. */
"use strict";
(function () {
  const { api, esc, num, money, pounds, table, runAndWait, status, academicYear } = PP;
  const KPI_LABELS = [
    ["demand", "Learners needing a specialist place", num, "learners"],
    ["placed_in_area", "Placed in area", num, "learners"],
    ["unmet_need", "Unmet need", num, "learners"],
    ["out_of_area_placements", "Out-of-area / independent placements", num, "learners"],
    ["out_of_area_cost", "Out-of-area / independent cost", pounds, "GBP"],
    ["capital_spent", "Capital spent", pounds, "GBP"],
    ["revenue_cost", "Revenue cost of in-area places", pounds, "GBP"],
    ["mean_journey_minutes", "Mean journey (minutes)", v => num(v, 1), "minutes"],
    ["p95_journey_minutes", "95th percentile journey (minutes)", v => num(v, 1), "minutes"],
  ];
  const MONEY_SERIES = [["money_total", "High-needs spend, total"], ["money_transport", "Home-to-school transport"],
    ["money_unmet", "Unmet need, priced as the placements it forces"]];
  const NEEDS = ["ASD", "SEMH", "SLCN", "MLD", "SLD", "PMLD", "SPLD", "HI", "VI", "MSI", "PD", "DS", "OTH"];
  const KINDS = ["special", "semh_special", "resourced_provision", "sen_unit", "post16_specialist", "pru_ap",
    "independent_special", "mainstream", "fe_college"];
  const PHASES = ["early_years", "primary", "secondary", "post16", "post19"];
  const SOURCE_LABEL = { baseline: "Baseline", shipped: "Shipped", stored: "Council's own" };
  // Charts go through PP.plot (app.js: no cloud/share links, a text alternative); every chart's figures are in the
  // table beside it.
  let ctx = null, entries = [], settings = [], localities = [], editing = null;

  const EDIT_FIELDS = {
    expand_places: [["setting_id", "Setting", "setting"], ["places", "Places", "int"], ["from_year", "From year", "year"],
      ["capital_cost", "Capital cost (£)", "float"]],
    reduce_places: [["setting_id", "Setting", "setting"], ["places", "Places", "int"], ["from_year", "From year", "year"]],
    add_setting: [["id", "New id", "text"], ["name", "Name", "text"], ["kind", "Kind", "kind"],
      ["designations", "Needs (comma separated)", "needs"], ["ncy_min", "Lowest NCY", "int"], ["ncy_max", "Highest NCY", "int"],
      ["places", "Places", "int"], ["opens_year", "Opens (year)", "year"], ["locality_id", "Locality", "locality"],
      ["capital_cost", "Capital cost (£)", "float"]],
    close_setting: [["setting_id", "Setting", "setting"], ["year", "From year", "year"]],
    redesignate: [["setting_id", "Setting", "setting"], ["add", "Add needs", "needs"], ["remove", "Remove needs", "needs"]],
    change_rates: [["joiner_scale", "Joiner rate scale (1 = unchanged)", "float"], ["growth_rate", "Growth rate (0.05 = +5%)", "float"],
      ["need", "Need (blank = all)", "need"], ["phase", "Phase (blank = all)", "phase"]],
    change_journey_limits: PHASES.map(p => [`limits.${p}`, `${p.replace("_", " ")} limit (min)`, "int"]),
    change_costs: [["kind", "Kind", "kind"], ["scale", "Scale (1.1 = +10%)", "float"]],
  };
  const OP_LABELS = Object.fromEntries([...document.querySelectorAll("#edit-op option")].map(o => [o.value, o.textContent]));

  function options(values, labels, blank) {
    return (blank ? `<option value="">${esc(blank)}</option>` : "") +
      values.map((v, i) => `<option value="${esc(v)}">${esc(labels ? labels[i] : v)}</option>`).join("");
  }

  /* ---------------------------------------------------------------- edit rows (numbered 1, 2, ... as the API) */

  let rowCounter = 0;
  function fieldInput(fid, name, type) {
    if (type === "setting") return `<select id="${fid}" data-field="${name}">${options(settings.map(s => s.id), settings.map(s => `${s.name} (${s.id})`))}</select>`;
    if (type === "kind") return `<select id="${fid}" data-field="${name}">${options(KINDS)}</select>`;
    if (type === "locality") return `<select id="${fid}" data-field="${name}">${options(localities.map(l => l.id), localities.map(l => l.name))}</select>`;
    if (type === "need") return `<select id="${fid}" data-field="${name}">${options(NEEDS, null, "All needs")}</select>`;
    if (type === "phase") return `<select id="${fid}" data-field="${name}">${options(PHASES, null, "All phases")}</select>`;
    const inputType = type === "text" || type === "needs" ? "text" : "number";
    return `<input id="${fid}" data-field="${name}" data-type="${type}" type="${inputType}"${type === "float" ? ' step="any"' : ""}${type === "year" ? ` value="${ctx.instance.base_year + 1}"` : ""}>`;
  }

  function renumber() {
    document.querySelectorAll("#edit-rows .edit-row").forEach((row, i) => {
      row.querySelector(".edit-number").textContent = `Edit ${i + 1}: ${OP_LABELS[row.dataset.op] || row.dataset.op}`;
      row.querySelector("button").setAttribute("aria-label", `Remove edit ${i + 1}`);
    });
  }

  function addEditRow(op, values) {
    const id = ++rowCounter;
    const row = document.createElement("div");
    row.className = "edit-row"; row.dataset.op = op;
    row.innerHTML = `<strong class="edit-number"></strong>` + EDIT_FIELDS[op].map(([name, label, type]) => {
      const fid = `edit-${id}-${name.replace(".", "-")}`;
      return `<div class="field"><label for="${fid}">${esc(label)}</label>${fieldInput(fid, name, type)}</div>`;
    }).join("") + `<button type="button" class="secondary small">Remove</button>`;
    row.querySelector("button").onclick = () => { row.remove(); renumber(); };
    for (const el of row.querySelectorAll("[data-field]")) {
      const path = el.dataset.field.split(".");
      const value = values ? (path.length === 2 ? (values[path[0]] || {})[path[1]] : values[path[0]]) : undefined;
      if (value !== undefined && value !== null) el.value = Array.isArray(value) ? value.join(", ") : value;
    }
    document.getElementById("edit-rows").appendChild(row);
    renumber();
    if (!values) row.querySelector("input, select").focus();
  }

  function fitsRows(edit) {
    const fields = EDIT_FIELDS[edit.op];
    if (!fields) return false;
    const names = new Set(fields.map(f => f[0].split(".")[0]));
    return Object.keys(edit).every(k => k === "op" || names.has(k));
  }

  function editsFromRows() {
    return [...document.querySelectorAll("#edit-rows .edit-row")].map(row => {
      const edit = { op: row.dataset.op };
      for (const el of row.querySelectorAll("[data-field]")) {
        const value = el.value.trim();
        if (value === "") continue;
        const type = el.dataset.type;
        const parsed = type === "int" || type === "year" ? parseInt(value, 10) : type === "float" ? parseFloat(value)
          : type === "needs" ? value.split(",").map(s => s.trim().toUpperCase()).filter(Boolean) : value;
        const path = el.dataset.field.split(".");
        if (path.length === 2) { edit[path[0]] = edit[path[0]] || {}; edit[path[0]][path[1]] = parsed; }
        else edit[path[0]] = parsed;
      }
      return edit;
    });
  }

  /* ---------------------------------------------------------------- the list */

  function runQuery(entry, extra) {
    const q = new URLSearchParams({ kind: "scenario", limit: "10", ...(extra || {}) });
    if (entry.source === "stored") q.set("scenario_id", entry.id);
    else { q.set("instance_id", ctx.instanceId); q.set("scenario_name", entry.name); }
    return "runs?" + q.toString();
  }

  function runTag(run) {
    if (!run) return "never";
    const kind = run.status === "succeeded" ? "good" : run.status === "failed" ? "bad" : "warn";
    const stale = run.stale ? ` <span class="tag warn" title="${esc(run.stale_reason)}">stale</span>` : "";
    return `<span class="tag ${kind}">${esc(PP.label("status", run.status))}</span>${stale} ${esc(new Date(run.created_at).toLocaleString("en-GB"))}`;
  }

  function actions(entry) {
    const run = `<button type="button" class="small run-btn" data-key="${esc(entry.key)}" aria-label="Run ${esc(entry.name)}">Run</button>`;
    if (entry.source === "stored") {
      return run + ` <button type="button" class="small secondary edit-btn" data-key="${esc(entry.key)}" aria-label="Edit ${esc(entry.name)}">Edit</button>` +
        ` <button type="button" class="small secondary delete-btn" data-key="${esc(entry.key)}" aria-label="Delete ${esc(entry.name)}">Delete</button>`;
    }
    if (entry.source === "shipped") {
      return run + ` <button type="button" class="small secondary copy-btn" data-key="${esc(entry.key)}" aria-label="Copy ${esc(entry.name)} to a new scenario">Copy</button>`;
    }
    return run;
  }

  function describe(entry) {
    const builds = entry.lineage.length > 1 ? `<br><span class="muted">Builds on: ${esc(entry.lineage.slice(0, -1).join(" › "))}</span>` : "";
    const description = entry.description ? `<br><span class="muted">${esc(entry.description)}</span>` : "";
    const problem = entry.problem ? `<br><span class="tag bad">needs attention</span> ${esc(entry.problem)}: edit it, or it cannot run` : "";
    return `<strong>${esc(entry.name)}</strong>${description}${builds}${problem}`;
  }

  async function loadList() {
    const page = await api(`scenarios?limit=200&catalogue=true&base_instance_id=${ctx.instanceId}`);
    entries = page.items;
    const lastRuns = await Promise.all(entries.map(e => api(runQuery(e, { limit: "1" })).then(p => p.items[0] || null).catch(() => null)));
    // The list is redrawn when a run finishes or a scenario changes: boxes ticked meanwhile stay ticked.
    const ticked = new Set([...document.querySelectorAll(".compare-box:checked")].map(b => b.value));
    const stored = entries.filter(e => e.source === "stored");
    document.getElementById("sc-parent").innerHTML = `<option value="">The council's data (no parent)</option>` + options(stored.map(s => s.id), stored.map(s => s.name));
    const target = document.getElementById("opt-target");
    // The optimiser can plan on the council's data, a stored scenario (its id) or a shipped one that fits ("shipped:<name>").
    const targets = [...stored, ...entries.filter(e => e.source === "shipped")];
    if (target) target.innerHTML = `<option value="">The council's data</option>` + options(targets.map(s => s.source === "shipped" ? s.key : s.id), targets.map(s => s.name));
    table("scenario-list", [
      { key: "key", label: "Compare", format: (v, r) => `<input type="checkbox" class="compare-box" value="${esc(v)}" id="cmp-${esc(v)}" aria-label="Compare ${esc(r.name)}">` },
      { key: "name", label: "Scenario", format: (v, r) => describe(r) },
      { key: "source", label: "Source", format: v => `<span class="tag">${esc(SOURCE_LABEL[v] || v)}</span>` },
      { key: "edits", label: "Edits", numeric: true, format: v => num(v.length) },
      { key: "last", label: "Last run", format: runTag },
      { key: "key", label: "Actions", format: (v, r) => actions(r) },
    ], entries.map((e, i) => ({ ...e, last: lastRuns[i] })), { caption: "Scenarios for this council: the baseline, shipped and the council's own", id: "scenario-table" });
    for (const box of document.querySelectorAll(".compare-box")) box.checked = ticked.has(box.value);
    const byKey = key => entries.find(e => e.key === key);
    for (const b of document.querySelectorAll(".run-btn")) b.onclick = () => runEntry(byKey(b.dataset.key));
    for (const b of document.querySelectorAll(".edit-btn")) b.onclick = () => startEdit(byKey(b.dataset.key));
    for (const b of document.querySelectorAll(".delete-btn")) b.onclick = () => deleteEntry(byKey(b.dataset.key));
    for (const b of document.querySelectorAll(".copy-btn")) b.onclick = () => startCopy(byKey(b.dataset.key));
    await loadRecentRuns();
  }

  async function loadRecentRuns() {
    const page = await api("runs?kind=scenario&limit=30");
    const ours = new Set(entries.filter(e => e.source === "stored").map(e => e.id));
    const rows = page.items.filter(r => r.instance_id === ctx.instanceId || ours.has(r.scenario_id) ||
      (r.instance_id === null && r.scenario_id === null));
    if (!rows.length) { document.getElementById("recent-runs").innerHTML = "<p>No scenario runs yet.</p>"; return; }
    table("recent-runs", [
      { key: "scenario_name", label: "Scenario", format: (v, r) => esc(v || "—") + ((r.scenario_lineage || []).length > 1 ? `<br><span class="muted">${esc(r.scenario_lineage.map(m => m.name).join(" › "))}</span>` : "") },
      { key: "status", label: "Status", format: (v, r) => runTag(r) },
      { key: "stale_reason", label: "Why stale", format: v => esc(v || "—") },
      { key: "id", label: "Run", format: v => `<code>${esc(v.slice(0, 8))}</code>` },
    ], rows, { caption: "The newest scenario runs for this council (stale ones describe an earlier version)" });
  }

  /* ---------------------------------------------------------------- running one */

  function runBody(entry) {
    const target = entry.run_target || {};
    return { kind: "scenario", ...target, parameters: { ...(target.parameters || {}) } };
  }

  function renderMoney(container, moneyView, title) {
    const el = document.getElementById(container);
    if (!moneyView || !moneyView.years) { el.innerHTML = ""; return; }
    el.innerHTML = `<h4>${esc(title)}</h4><div id="${container}-summary"></div><div id="${container}-years"></div>`;
    table(`${container}-summary`, [{ key: "label", label: "Money" }, { key: "value", label: "Value", numeric: true }], [
      { label: "Capital", value: pounds(moneyView.capital) },
      { label: "Savings against the baseline (all years)", value: moneyView.savings_vs_baseline ? pounds(moneyView.savings_vs_baseline.reduce((a, b) => a + b, 0)) : "—" },
      { label: "Payback year", value: moneyView.payback_year ? academicYear(moneyView.payback_year) : "not within the projection" },
    ], { caption: "Capital, savings and payback (cost model)", rowHeaders: true });
    const types = Object.keys(moneyView.by_type || {});
    table(`${container}-years`, [{ key: "year", label: "Year", format: academicYear }]
      .concat(types.map(t => ({ key: "t:" + t, label: t, numeric: true, format: pounds })))
      .concat([{ key: "transport", label: "Transport", numeric: true, format: pounds }, { key: "unmet", label: "Unmet need (priced)", numeric: true, format: pounds },
        { key: "total", label: "Total", numeric: true, format: pounds }, { key: "savings", label: "Saving against the baseline", numeric: true, format: pounds }]),
    moneyView.years.map((y, i) => ({ year: y, transport: (moneyView.transport || [])[i], unmet: (moneyView.unmet || [])[i], total: (moneyView.total || [])[i],
      savings: moneyView.savings_vs_baseline ? moneyView.savings_vs_baseline[i] : null,
      ...Object.fromEntries(types.map(t => ["t:" + t, moneyView.by_type[t][i]])) })),
    { caption: "High-needs spend by year and type of provision (GBP a year)", rowHeaders: true });
  }

  function kpiSummary(run) {
    const r = run.result;
    const first = r.years[0], last = r.years[r.years.length - 1];
    const rows = KPI_LABELS.map(([k, label, f]) => ({ label, first: f(r.kpis[first][k]), last: f(r.kpis[last][k]),
      total: k in r.totals ? f(r.totals[k]) : "—" }));
    const lineage = (r.scenario.lineage || []).length > 1 ? ` (builds on ${r.scenario.lineage.slice(0, -1).join(" › ")})` : "";
    const box = document.getElementById("run-result");
    box.innerHTML = `<h3>${esc(r.scenario.name)}${esc(lineage)}: ${esc(PP.label("status", r.status))}</h3><div id="run-kpis"></div><div id="run-money"></div>`;
    table("run-kpis", [{ key: "label", label: "Measure" }, { key: "first", label: academicYear(first), numeric: true },
      { key: "last", label: academicYear(last), numeric: true }, { key: "total", label: "All years", numeric: true }],
    rows, { caption: `${r.scenario.name}: results, ${academicYear(first)} to ${academicYear(last)}`, rowHeaders: true });
    renderMoney("run-money", r.money, "Money");
  }

  async function runEntry(entry) {
    status(`Running ${entry.name}…`);
    try {
      const run = await runAndWait(runBody(entry), "run-progress");
      kpiSummary(run);
      status(`${entry.name} finished.`, "ok");
      await loadList();
      document.getElementById("run-result").focus();
    } catch (e) { status(e.message, "error"); }
  }

  /* ---------------------------------------------------------------- comparing */

  async function currentRun(entry) {
    const page = await api(runQuery(entry, { status: "succeeded" }));
    const fresh = page.items.find(r => !r.stale);
    if (fresh) return fresh;
    status(`Running ${entry.name} first…`);
    return runAndWait(runBody(entry), "run-progress");
  }

  /* A difference with its sign spelt out: "+3", "−£1.2m" (a minus sign, not a hyphen). */
  function signed(f) {
    return v => (v === null || v === undefined ? "—" : v === 0 ? f(0) : (v > 0 ? "+" : "−") + f(Math.abs(v)));
  }

  function unitAxis(unit) { return unit === "GBP" ? [1e6, "GBP m"] : [1, unit]; }

  function compareTable(served, labels) {
    const base = served.baseline, others = labels.filter(l => l !== base);
    const journeys = new Set(["mean_journey_minutes", "p95_journey_minutes"]);
    const rows = KPI_LABELS.map(([k, label, f]) => {
      const row = { label };
      for (const l of labels) {
        const years = served.rows.filter(r => r.scenario === l);
        row[l] = journeys.has(k) ? f(years.reduce((a, r) => a + r[k], 0) / Math.max(1, years.length)) : f(served.totals[l][k]);
        if (l !== base) {
          row["d:" + l] = journeys.has(k) ? signed(f)(years.reduce((a, r) => a + (r[k + "_vs_baseline"] || 0), 0) / Math.max(1, years.length))
            : signed(f)(served.totals_vs_baseline[l][k]);
        }
      }
      return row;
    });
    table("compare-table", [{ key: "label", label: "Measure (all years; journeys: mean of years)" }]
      .concat(labels.map(l => ({ key: l, label: l, numeric: true })))
      .concat(others.map(l => ({ key: "d:" + l, label: `${l} minus ${base}`, numeric: true }))),
    rows, { caption: `Scenarios side by side, with the difference against ${base}`, rowHeaders: true, id: "comparison" });
  }

  function drawCompare(served, labels) {
    const metric = document.getElementById("compare-metric");
    const info = served.metrics.find(m => m.name === metric.value);
    const [scale, unit] = unitAxis(info.unit);
    const years = [...new Set(served.rows.map(r => r.academic_year))].sort();
    const value = (l, y, key) => { const r = served.rows.find(x => x.scenario === l && x.academic_year === y); return r ? r[key] : null; };
    const traces = labels.map(l => ({ type: "scatter", mode: "lines+markers", name: l, line: { dash: l === served.baseline ? "dash" : "solid" },
      x: years.map(academicYear), y: years.map(y => { const v = value(l, y, info.name); return v === null || v === undefined ? null : v / scale; }) }));
    const short = info.label.replace(/ \(.*\)$/, "");
    PP.plot("compare-chart", traces, { title: { text: `${short} by year` }, margin: { t: 50, r: 20, b: 60, l: 80 },
      legend: { orientation: "h" }, xaxis: { title: { text: "Academic year" } }, yaxis: { title: { text: `${short} (${unit})` } } }, { table: false, tableNote: "The figures are in the table below the chart." });
    document.getElementById("compare-chart").setAttribute("aria-label", `${info.label} by year for ${labels.join(", ")}; the table below gives the figures`);
    const fmt = info.unit === "GBP" ? pounds : v => num(v, 1); // one format per column: whole pounds
    const others = labels.filter(l => l !== served.baseline);
    table("compare-chart-table", [{ key: "year", label: "Year", format: academicYear }]
      .concat(labels.map(l => ({ key: l, label: l, numeric: true, format: fmt })))
      .concat(others.map(l => ({ key: "d:" + l, label: `${l} minus ${served.baseline}`, numeric: true, format: signed(fmt) }))),
    years.map(y => Object.fromEntries([["year", y], ...labels.map(l => [l, value(l, y, info.name)]),
      ...others.map(l => ["d:" + l, value(l, y, info.name + "_vs_baseline")])])),
    { caption: `The figures behind the chart: ${info.label}`, rowHeaders: true });
  }

  function compareMoney(served, labels) {
    const box = document.getElementById("compare-money");
    const names = labels.filter(l => served.money && served.money[l]);
    if (!names.length) { box.innerHTML = ""; return; }
    box.innerHTML = `<h3>Money</h3><div id="money-compare-table"></div><div id="money-chart" class="chart"></div><div id="money-chart-table"></div>`;
    const m = served.money;
    table("money-compare-table", [{ key: "label", label: "Money (all years of the projection)" }].concat(names.map(l => ({ key: l, label: l, numeric: true }))), [
      { label: "Capital", ...Object.fromEntries(names.map(l => [l, pounds(m[l].capital)])) },
      { label: "High-needs spend, total", ...Object.fromEntries(names.map(l => [l, pounds(m[l].spend_total)])) },
      { label: `Spend minus ${served.baseline}`, ...Object.fromEntries(names.map(l => [l, signed(pounds)(m[l].spend_total_vs_baseline)])) },
      { label: "of which home-to-school transport", ...Object.fromEntries(names.map(l => [l, pounds(m[l].transport_total)])) },
      { label: "Savings against the baseline (cost model)", ...Object.fromEntries(names.map(l => [l, pounds(m[l].savings_vs_baseline_total)])) },
      { label: "Payback year", ...Object.fromEntries(names.map(l => [l, m[l].payback_year ? academicYear(m[l].payback_year) : "—"])) },
    ], { caption: "Capital, revenue, transport, savings and payback", rowHeaders: true });
    const years = [...new Set(served.rows.map(r => r.academic_year))].sort();
    const value = (l, y) => { const r = served.rows.find(x => x.scenario === l && x.academic_year === y); return r && r.money_total !== undefined ? r.money_total : null; };
    PP.plot("money-chart", names.map(l => ({ type: "scatter", mode: "lines+markers", name: l, x: years.map(academicYear),
      y: years.map(y => value(l, y) === null ? null : value(l, y) / 1e6) })), { title: { text: "High-needs spend by year" },
      xaxis: { title: { text: "Academic year" } }, yaxis: { title: { text: "High-needs spend (GBP m)" } }, margin: { t: 50, r: 20, b: 60, l: 80 }, legend: { orientation: "h" } }, { table: false, tableNote: "The figures are in the table below the chart." });
    document.getElementById("money-chart").setAttribute("aria-label", "High-needs spend by year for each scenario; the table below gives the figures");
    table("money-chart-table", [{ key: "year", label: "Year", format: academicYear }].concat(names.map(l => ({ key: l, label: l, numeric: true, format: pounds }))),
      years.map(y => Object.fromEntries([["year", y], ...names.map(l => [l, value(l, y)])])), { caption: "The figures behind the chart: high-needs spend (GBP a year)", rowHeaders: true });
  }

  async function compare() {
    const keys = [...document.querySelectorAll(".compare-box:checked")].map(b => b.value);
    if (keys.length < 2 || keys.length > 4) { status("Tick between two and four scenarios to compare.", "error"); return; }
    const chosen = keys.map(k => entries.find(e => e.key === k));
    const runs = [];
    for (const entry of chosen) runs.push(await currentRun(entry));
    const query = runs.map(r => "run_ids=" + r.id).join("&");
    const served = await api("scenario-comparisons?" + query);
    const labels = served.scenarios.map(s => s.label);
    document.getElementById("compare-section").hidden = false;
    document.getElementById("compare-note").textContent = `Differences are each scenario minus ${served.baseline}` +
      (keys.includes("baseline") ? "." : " (the baseline was not ticked, so the first scenario is the reference).") +
      (served.scenarios.some(s => s.stale) ? " Some runs are stale." : "");
    compareTable(served, labels);
    const metric = document.getElementById("compare-metric");
    metric.innerHTML = options(served.metrics.map(m => m.name), served.metrics.map(m => m.label));
    metric.value = "unmet_need";
    metric.onchange = () => drawCompare(served, labels);
    drawCompare(served, labels);
    compareMoney(served, labels);
    document.getElementById("compare-download").onclick = () => PP.downloadFrom(`/api/v1/scenario-comparisons?${query}&format=xlsx`, "scenario-comparison.xlsx").catch(e => status(e.message, "error"));
    document.getElementById("compare-download-csv").onclick = () => PP.downloadFrom(`/api/v1/scenario-comparisons?${query}&format=csv`, "scenario-comparison.csv").catch(e => status(e.message, "error"));
    status(`Compared ${runs.length} scenarios.`, "ok");
    await loadList();  // runs made for the comparison show in the list and the recent runs; the ticks stay
    document.getElementById("compare-h").focus();
  }

  /* ---------------------------------------------------------------- create, edit, copy, delete */

  function fillForm(entry, name, edits) {
    const form = document.getElementById("create-form");
    form.reset();
    document.getElementById("edit-rows").innerHTML = "";
    document.getElementById("create-error").textContent = "";
    document.getElementById("sc-name").value = name;
    document.getElementById("sc-description").value = entry ? entry.description : "";
    edits = edits || (entry ? entry.edits : []);
    if (edits.every(fitsRows)) edits.forEach(e => addEditRow(e.op, e));
    else { document.getElementById("sc-json").value = JSON.stringify(edits, null, 2); document.getElementById("json-details").open = true; }
  }

  function setMode(entry) {
    editing = entry;
    document.getElementById("create-h").textContent = entry ? `Edit scenario ${entry.name}` : "Create a scenario";
    document.getElementById("create-submit").textContent = entry ? "Save changes" : "Create scenario";
    document.getElementById("edit-cancel").hidden = !entry;
    document.getElementById("sc-parent").disabled = !!entry;
  }

  function startEdit(entry) {
    setMode(entry);
    fillForm(entry, entry.name);
    document.getElementById("sc-parent").value = entry.parent_scenario_id || "";
    document.getElementById("create-h").focus();
  }

  function startCopy(entry) {
    setMode(null);
    // A shipped scenario's parents are shipped too: the copy takes their edits first, so it stands on its own.
    const edits = entry.lineage.flatMap(n => (entries.find(e => e.source === "shipped" && e.name === n) || { edits: [] }).edits);
    fillForm(entry, `${entry.name} (copy)`, edits);
    status(`Copied ${entry.name}${entry.lineage.length > 1 ? " with the edits of the scenarios it builds on" : ""}: name it and create it.`);
    document.getElementById("create-h").focus();
  }

  async function deleteEntry(entry) {
    if (!window.confirm(`Delete the scenario ${entry.name}? Its runs are kept and marked stale.`)) return;
    try {
      await api(`scenarios/${entry.id}`, { method: "DELETE" });
      status(`Deleted ${entry.name}; its runs are kept (stale).`, "ok");
      if (editing && editing.id === entry.id) { setMode(null); fillForm(null, ""); }
      await loadList();
    } catch (e) { status(`Could not delete ${entry.name}: ${e.message}`, "error"); }
  }

  async function submitScenario(event) {
    event.preventDefault();
    const error = document.getElementById("create-error");
    error.textContent = "";
    let edits;
    const json = document.getElementById("sc-json").value.trim();
    try { edits = json ? JSON.parse(json) : editsFromRows(); } catch (e) { error.textContent = "The edits JSON is not valid: " + e.message; return; }
    const fields = { name: document.getElementById("sc-name").value.trim(), description: document.getElementById("sc-description").value, edits };
    const parent = document.getElementById("sc-parent").value;
    try {
      const saved = editing
        ? await api(`scenarios/${editing.id}`, { method: "PATCH", json: fields })
        : await api("scenarios", { method: "POST", json: { ...fields, base_instance_id: ctx.instanceId, parent_scenario_id: parent ? Number(parent) : null } });
      status(editing ? `Saved ${saved.name} (version ${saved.version}); its earlier runs are now stale.` : `Created scenario ${saved.name}.`, "ok");
      setMode(null);
      fillForm(null, "");
      await loadList();
    } catch (e) { error.textContent = (editing ? "Could not save the scenario: " : "Could not create the scenario: ") + e.message; }
  }

  /* ---------------------------------------------------------------- expansion optimiser */

  function marginal(v) {
    if (v === null || v === undefined) return "—";
    return typeof v === "number" ? pounds(v) : esc(v);
  }

  function showProgramme(r, budget) {
    const out = document.getElementById("opt-result");
    // "optimal" only at a proven gap of 0.01% or less, otherwise "feasible, gap x%" (planner/expansion status_text)
    out.innerHTML = `<h3>Programme for ${money(budget)}: ${esc(r.status_text || r.status)}</h3><div id="programme"></div><h3>Budget frontier</h3><div id="frontier"></div>`;
    table("programme", [{ key: "name", label: "Project" }, { key: "kind", label: "Kind" },
      { key: "designations", label: "Needs", format: v => esc((v || []).join(", ")) }, { key: "locality_id", label: "Locality" },
      { key: "places", label: "Places", numeric: true, format: v => num(v) }, { key: "open_year", label: "Opens", format: v => academicYear(v) },
      { key: "capital", label: "Capital", numeric: true, format: pounds },
      { key: "marginal_value", label: "Value if dropped (see below)", numeric: true,
        format: (v, p) => (v === null || v === undefined) && p.marginal_value_note ? esc(p.marginal_value_note) : marginal(v) }],
    r.programme, { caption: `${r.programme.length} projects chosen` });
  }

  function showFrontier(frontier) {
    table("frontier", [{ key: "budget_total", label: "Budget", numeric: true, format: pounds },
      { key: "capital_used", label: "Capital used", numeric: true, format: pounds },
      { key: "unmet_learner_years", label: "Unmet learner-years", numeric: true, format: v => num(v, 1) },
      { key: "out_of_area_learner_years", label: "Out-of-area learner-years", numeric: true, format: v => num(v, 1) },
      { key: "projects", label: "Projects", numeric: true },
      { key: "status_text", label: "Status", format: (v, f) => esc(v || f.status || "—") },
      { key: "programme_from", label: "Programme from", format: v => esc(v || "—") },
      { key: "bound_from", label: "Gap measured against", format: v => esc(v === "this point's solve" ? "its own bound" : (v || "—")) }], frontier, { caption: "Outcome against total budget (the figures behind the frontier chart)" });
    const chart = document.getElementById("frontier-chart");
    chart.hidden = false;
    PP.plot(chart, [
      { type: "scatter", mode: "lines+markers", name: "Unmet learner-years", x: frontier.map(f => f.budget_total / 1e6), y: frontier.map(f => f.unmet_learner_years) },
      { type: "scatter", mode: "lines+markers", name: "Out-of-area learner-years", x: frontier.map(f => f.budget_total / 1e6), y: frontier.map(f => f.out_of_area_learner_years) },
    ], { title: { text: "Budget frontier" }, xaxis: { title: { text: "Total capital budget (GBP m)" } },
      yaxis: { title: { text: "Learner-years (over the planning years)" } }, margin: { t: 50, r: 20, b: 50, l: 80 }, legend: { orientation: "h" } }, { table: false, tableNote: "The figures are in the table below the chart." });
  }

  async function runOptimiser(event) {
    event.preventDefault();
    const target = document.getElementById("opt-target").value;
    const budget = Number(document.getElementById("opt-budget").value);
    const parameters = { budget_total: budget, horizon_years: Number(document.getElementById("opt-horizon").value),
      solve: { time_limit_seconds: Number(document.getElementById("opt-time").value), relative_gap: 0.0001 },
      frontier_fractions: [0, 0.25, 0.5, 1, 1.5] };
    const shipped = target.startsWith("shipped:") ? target.slice("shipped:".length) : null;
    const body = shipped ? { kind: "expansion", instance_id: ctx.instanceId, parameters: { ...parameters, scenario: shipped } }
      : target ? { kind: "expansion", scenario_id: Number(target), parameters } : { kind: "expansion", instance_id: ctx.instanceId, parameters };
    try {
      const run = await runAndWait(body, "opt-progress");
      showProgramme(run.result, budget);
      showFrontier(run.result.frontier || []);
      status("Optimiser finished.", "ok");
    } catch (e) { status(e.message, "error"); }
  }

  PP.onReady(async (c) => {
    ctx = c;
    [settings, localities] = await Promise.all([PP.allPages(`instances/${ctx.instanceId}/settings`),
      PP.allPages(`instances/${ctx.instanceId}/localities`)]);
    settings.sort((a, b) => a.name.localeCompare(b.name));
    localities = localities.filter(l => l.in_area);
    if (!["planner", "admin"].includes(ctx.role)) {
      document.getElementById("optimiser-section").innerHTML = `<h2 id="opt-h">Expansion optimiser</h2><p class="notice">The expansion optimiser is for planners.</p>`;
    } else {
      document.getElementById("opt-form").addEventListener("submit", runOptimiser);
    }
    document.getElementById("add-edit").onclick = () => addEditRow(document.getElementById("edit-op").value);
    document.getElementById("create-form").addEventListener("submit", submitScenario);
    document.getElementById("edit-cancel").onclick = () => { setMode(null); fillForm(null, ""); };
    document.getElementById("compare-btn").onclick = () => compare().catch(e => status(e.message, "error"));
    await loadList();
  });
})();
