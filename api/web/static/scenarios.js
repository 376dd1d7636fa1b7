/* Scenarios: list, create with edits, run with progress, compare 2-4, and the expansion optimiser. */
"use strict";
(function () {
  const { api, esc, num, money, table, runAndWait, latestRun, status, academicYear } = PP;
  const KPI_LABELS = [
    ["demand", "Learners needing a specialist place", num],
    ["placed_in_area", "Placed in area", num],
    ["unmet_need", "Unmet need", num],
    ["out_of_area_placements", "Out-of-area / independent placements", num],
    ["out_of_area_cost", "Out-of-area / independent cost", money],
    ["capital_spent", "Capital spent", money],
    ["revenue_cost", "Revenue cost of in-area places", money],
    ["mean_journey_minutes", "Mean journey (minutes)", v => num(v, 1)],
    ["p95_journey_minutes", "95th percentile journey (minutes)", v => num(v, 1)],
  ];
  const NEEDS = ["ASD", "SEMH", "SLCN", "MLD", "SLD", "PMLD", "SPLD", "HI", "VI", "MSI", "PD", "DS", "OTH"];
  const KINDS = ["special", "semh_special", "resourced_provision", "sen_unit", "post16_specialist", "pru_ap",
    "independent_special", "mainstream", "fe_college"];
  const PHASES = ["early_years", "primary", "secondary", "post16", "post19"];
  let ctx = null, scenarios = [], settings = [], localities = [];

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

  function options(values, labels, blank) {
    return (blank ? `<option value="">${esc(blank)}</option>` : "") +
      values.map((v, i) => `<option value="${esc(v)}">${esc(labels ? labels[i] : v)}</option>`).join("");
  }

  let editCounter = 0;
  function addEditRow(op) {
    const id = ++editCounter;
    const row = document.createElement("div");
    row.className = "edit-row"; row.dataset.op = op;
    const fields = EDIT_FIELDS[op].map(([name, label, type]) => {
      const fid = `edit-${id}-${name.replace(".", "-")}`;
      let input;
      if (type === "setting") input = `<select id="${fid}" data-field="${name}">${options(settings.map(s => s.id), settings.map(s => `${s.name} (${s.id})`))}</select>`;
      else if (type === "kind") input = `<select id="${fid}" data-field="${name}">${options(KINDS)}</select>`;
      else if (type === "locality") input = `<select id="${fid}" data-field="${name}">${options(localities.map(l => l.id), localities.map(l => l.name))}</select>`;
      else if (type === "need") input = `<select id="${fid}" data-field="${name}">${options(NEEDS, null, "All needs")}</select>`;
      else if (type === "phase") input = `<select id="${fid}" data-field="${name}">${options(PHASES, null, "All phases")}</select>`;
      else input = `<input id="${fid}" data-field="${name}" data-type="${type}" type="${type === "text" || type === "needs" ? "text" : "number"}"${type === "float" ? ' step="any"' : ""}${type === "year" ? ` value="${ctx.instance.base_year + 1}"` : ""}>`;
      return `<div class="field"><label for="${fid}">${esc(label)}</label>${input}</div>`;
    }).join("");
    row.innerHTML = `<strong>${id}. ${esc(op.replace(/_/g, " "))}</strong>${fields}<button type="button" class="secondary small">Remove</button>`;
    row.querySelector("button").onclick = () => row.remove();
    document.getElementById("edit-rows").appendChild(row);
    row.querySelector("input, select").focus();
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

  async function loadList() {
    const page = await api(`scenarios?limit=200&base_instance_id=${ctx.instanceId}`);
    scenarios = page.items;
    const lastRuns = await Promise.all(scenarios.map(s =>
      api(`runs?kind=scenario&scenario_id=${s.id}&limit=1`).then(p => p.items[0] || null).catch(() => null)));
    const rows = scenarios.map((s, i) => ({ ...s, last: lastRuns[i] }));
    const parentOptions = `<option value="">The council's data (no parent)</option>` + options(scenarios.map(s => s.id), scenarios.map(s => s.name));
    document.getElementById("sc-parent").innerHTML = parentOptions;
    const target = document.getElementById("opt-target");
    if (target) target.innerHTML = `<option value="">The council's data</option>` + options(scenarios.map(s => s.id), scenarios.map(s => s.name));
    if (!rows.length) {
      document.getElementById("scenario-list").innerHTML = "<p>No scenarios yet for this council: create one below.</p>";
      return;
    }
    table("scenario-list", [
      { key: "id", label: "Compare", format: (v, r) => `<input type="checkbox" class="compare-box" value="${v}" id="cmp-${v}" aria-label="Compare ${esc(r.name)}">` },
      { key: "name", label: "Scenario", format: (v, r) => `<label for="cmp-${r.id}">${esc(v)}</label>${r.description ? `<br><span class="muted">${esc(r.description)}</span>` : ""}` },
      { key: "edits", label: "Edits", numeric: true, format: v => num(v.length) },
      { key: "parent_scenario_id", label: "Builds on", format: v => v ? esc((scenarios.find(s => s.id === v) || {}).name || v) : "—" },
      { key: "last", label: "Last run", format: v => v ? `<span class="tag ${v.status === "succeeded" ? "good" : v.status === "failed" ? "bad" : "warn"}">${esc(v.status)}</span> ${esc(new Date(v.created_at).toLocaleString("en-GB"))}` : "never" },
      { key: "id", label: "Action", format: (v, r) => `<button type="button" class="small run-btn" data-id="${v}" aria-label="Run ${esc(r.name)}">Run</button>` },
    ], rows, { caption: "Scenarios for this council", id: "scenario-table" });
    for (const btn of document.querySelectorAll(".run-btn")) btn.onclick = () => runScenario(Number(btn.dataset.id));
  }

  function kpiSummary(run, title) {
    const r = run.result;
    const first = r.years[0], last = r.years[r.years.length - 1];
    const rows = KPI_LABELS.map(([k, label, f]) => ({ label, first: f(r.kpis[first][k]), last: f(r.kpis[last][k]),
      total: k in r.totals ? f(r.totals[k]) : "—" }));
    const box = document.getElementById("run-result");
    box.innerHTML = `<h3>${esc(title)}: ${esc(r.status)}</h3><div id="run-kpis"></div>`;
    table("run-kpis", [{ key: "label", label: "Measure" }, { key: "first", label: academicYear(first), numeric: true },
      { key: "last", label: academicYear(last), numeric: true }, { key: "total", label: "All years", numeric: true }],
      rows, { caption: `Scenario results, ${academicYear(first)} to ${academicYear(last)}`, rowHeaders: true });
  }

  async function runScenario(id) {
    const scenario = scenarios.find(s => s.id === id);
    const body = id ? { kind: "scenario", scenario_id: id, parameters: {} } : { kind: "scenario", instance_id: ctx.instanceId, parameters: {} };
    status(`Running ${scenario ? scenario.name : "the baseline"}…`);
    try {
      const run = await runAndWait(body, "run-progress");
      kpiSummary(run, scenario ? scenario.name : "Baseline");
      status(`${scenario ? scenario.name : "Baseline"} finished.`, "ok");
      await loadList();
    } catch (e) { status(e.message, "error"); }
  }

  async function compare() {
    const ids = [...document.querySelectorAll(".compare-box:checked")].map(b => Number(b.value));
    if (ids.length < 2 || ids.length > 4) { status("Tick between two and four scenarios to compare.", "error"); return; }
    const runs = [];
    for (const id of ids) {
      let run = await latestRun("scenario", { scenario_id: id });
      if (!run) { status(`Running ${scenarios.find(s => s.id === id).name} first…`); run = await runAndWait({ kind: "scenario", scenario_id: id, parameters: {} }, "run-progress"); }
      runs.push({ scenario: scenarios.find(s => s.id === id), run });
    }
    document.getElementById("compare-section").hidden = false;
    const query = runs.map(x => "run_ids=" + x.run.id).join("&");
    let served = null; // the service's own comparison (same figures as the runs), when it has the route
    try { served = await api("scenario-comparisons?" + query); } catch (e) { served = null; }
    const download = document.getElementById("compare-download");
    download.hidden = !served;
    download.onclick = () => PP.downloadFrom(`/api/v1/scenario-comparisons?${query}&format=xlsx`, "scenario-comparison.xlsx").catch(e => status(e.message, "error"));
    const rows = KPI_LABELS.map(([k, label, f]) => {
      const row = { label };
      runs.forEach((x, i) => {
        const labels = served ? Object.keys(served.totals) : [];
        const t = served && labels[i] ? served.totals[labels[i]] : x.run.result.totals;
        const years = x.run.result.years;
        row["s" + i] = k in t ? f(t[k]) : f(years.reduce((a, y) => a + x.run.result.kpis[y][k], 0) / years.length);
      });
      return row;
    });
    table("compare-table", [{ key: "label", label: "Measure (all years; journeys: mean of years)" }].concat(
      runs.map((x, i) => ({ key: "s" + i, label: x.scenario.name, numeric: true }))), rows,
      { caption: "Scenarios side by side", rowHeaders: true, id: "comparison" });
    const metric = document.getElementById("compare-metric");
    metric.innerHTML = options(KPI_LABELS.map(k => k[0]), KPI_LABELS.map(k => k[1]));
    metric.value = "unmet_need";
    const draw = () => {
      const traces = runs.map(x => ({ type: "scatter", mode: "lines+markers", name: x.scenario.name,
        x: x.run.result.years.map(academicYear), y: x.run.result.years.map(y => x.run.result.kpis[y][metric.value]) }));
      PP.plot("compare-chart", traces, { title: { text: metric.selectedOptions[0].textContent + " by year" },
        margin: { t: 50, r: 20, b: 50, l: 70 }, legend: { orientation: "h" }, xaxis: { title: { text: "Academic year" } } }, PP.plotConfig);
    };
    metric.onchange = draw; draw();
    status(`Compared ${runs.length} scenarios.`, "ok");
    document.getElementById("compare-h").scrollIntoView();
  }

  async function createScenario(event) {
    event.preventDefault();
    const error = document.getElementById("create-error");
    error.textContent = "";
    let edits;
    const json = document.getElementById("sc-json").value.trim();
    try { edits = json ? JSON.parse(json) : editsFromRows(); } catch (e) { error.textContent = "The edits JSON is not valid: " + e.message; return; }
    const parent = document.getElementById("sc-parent").value;
    const body = { name: document.getElementById("sc-name").value.trim(), description: document.getElementById("sc-description").value,
      base_instance_id: ctx.instanceId, edits, parent_scenario_id: parent ? Number(parent) : null };
    try {
      const created = await api("scenarios", { method: "POST", json: body });
      status(`Created scenario ${created.name}.`, "ok");
      document.getElementById("create-form").reset();
      document.getElementById("edit-rows").innerHTML = "";
      await loadList();
    } catch (e) { error.textContent = "Could not create the scenario: " + e.message; }
  }

  async function runOptimiser(event) {
    event.preventDefault();
    const target = document.getElementById("opt-target").value;
    const budget = Number(document.getElementById("opt-budget").value);
    const parameters = { budget_total: budget, horizon_years: Number(document.getElementById("opt-horizon").value),
      solve: { time_limit_seconds: Number(document.getElementById("opt-time").value), relative_gap: 0.005 },
      frontier_fractions: [0, 0.25, 0.5, 1, 1.5] };
    const body = target ? { kind: "expansion", scenario_id: Number(target), parameters } : { kind: "expansion", instance_id: ctx.instanceId, parameters };
    try {
      const run = await runAndWait(body, "opt-progress");
      const r = run.result;
      const out = document.getElementById("opt-result");
      out.innerHTML = `<h3>Programme for ${money(budget)}: ${esc(r.status)}</h3><div id="programme"></div><h3>Budget frontier</h3><div id="frontier"></div>`;
      table("programme", [{ key: "name", label: "Project" }, { key: "kind", label: "Kind" },
        { key: "designations", label: "Needs", format: v => esc((v || []).join(", ")) }, { key: "locality_id", label: "Locality" },
        { key: "places", label: "Places", numeric: true, format: v => num(v) }, { key: "open_year", label: "Opens", format: v => academicYear(v) },
        { key: "capital", label: "Capital", numeric: true, format: money },
        { key: "marginal_value", label: "Value if dropped", numeric: true, format: v => v === null || v === undefined ? "—" : money(v) }],
        r.programme, { caption: `${r.programme.length} projects chosen` });
      const frontier = r.frontier || [];
      table("frontier", [{ key: "budget_total", label: "Budget", numeric: true, format: money },
        { key: "capital_used", label: "Capital used", numeric: true, format: money },
        { key: "unmet_learner_years", label: "Unmet learner-years", numeric: true, format: v => num(v, 1) },
        { key: "out_of_area_learner_years", label: "Out-of-area learner-years", numeric: true, format: v => num(v, 1) },
        { key: "projects", label: "Projects", numeric: true }], frontier, { caption: "Outcome against total budget" });
      const chart = document.getElementById("frontier-chart");
      chart.hidden = false;
      PP.plot(chart, [
        { type: "scatter", mode: "lines+markers", name: "Unmet learner-years", x: frontier.map(f => f.budget_total / 1e6), y: frontier.map(f => f.unmet_learner_years) },
        { type: "scatter", mode: "lines+markers", name: "Out-of-area learner-years", x: frontier.map(f => f.budget_total / 1e6), y: frontier.map(f => f.out_of_area_learner_years) },
      ], { title: { text: "Budget frontier" }, xaxis: { title: { text: "Total capital budget (£m)" } },
        yaxis: { title: { text: "Learner-years" } }, margin: { t: 50, r: 20, b: 50, l: 70 }, legend: { orientation: "h" } }, PP.plotConfig);
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
    document.getElementById("create-form").addEventListener("submit", createScenario);
    document.getElementById("run-baseline").onclick = () => runScenario(0);
    document.getElementById("compare-btn").onclick = () => compare().catch(e => status(e.message, "error"));
    await loadList();
  });
})();
