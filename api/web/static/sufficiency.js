/* Sufficiency. By default: every way need is not met in area (short of places, out of reach, placed out of area or
   independent) for the chosen need over ALL forecast years, with the out-of-area cost; a need x year table; then
   the need x locality heatmap for a year (same measure by default) with drill-down; the forecast fan chart; the XLSX
   workbook. Figures are for one pool of places at a time (specialist or alternative provision), never mixed. */
"use strict";
(function () {
  const { api, esc, num, money, pounds, table, runAndWait, latestRun, status, academicYear, label, needLabel } = PP;
  let ctx = null, run = null, forecastRun = null, settings = [], localities = [], cell = null;
  const PARTS = [["short_of_capacity", "Short of places"], ["out_of_reach", "Out of reach"],
    ["placed_out_of_area", "Placed out of area / independent"]];
  // A new run covers the whole horizon the forecast allows (ForecastParameters.horizon_years <= 10).
  const RUN_PARAMETERS = { forecast: { horizon_years: 10 } };

  const notMet = r => r.short_of_capacity + r.out_of_reach + r.placed_out_of_area;
  const value = (row, measure) => measure === "not_met" ? notMet(row)
    : measure === "unmet" ? row.short_of_capacity + row.out_of_reach : row[measure];
  const $ = id => document.getElementById(id);
  const pool = () => $("suff-pool").value;
  const poolRows = () => run.result.rows.filter(r => r.pool === pool());
  const needs = () => PP.inOrder("need", [...new Set(run.result.rows.map(r => r.need))]);

  function currentYear() { return run.result.years[Number($("suff-year").value)]; }
  function sum(rows, key) { return rows.reduce((a, r) => a + (typeof key === "function" ? key(r) : r[key]), 0); }

  /* One need's figures per forecast year in the chosen pool. */
  function byYear(need) {
    return run.result.years.map(year => {
      const rows = poolRows().filter(r => r.academic_year === year && r.need === need);
      const out = { academic_year: year };
      for (const k of ["demand", "placed_in_area", "short_of_capacity", "out_of_reach", "placed_out_of_area", "out_of_area_cost_gbp"]) out[k] = sum(rows, r => r[k] || 0);
      out.not_met = notMet(out);
      // A run stored before rows carried the out-of-area cost: say so rather than show GBP 0.
      if (rows.some(r => r.out_of_area_cost_gbp === undefined)) out.out_of_area_cost_gbp = null;
      return out;
    });
  }

  function drawNotMet() {
    const need = $("suff-need").value;
    const years = byYear(need);
    const x = years.map(y => academicYear(y.academic_year));
    const colours = PP.PALETTE.not_met || {};
    PP.plot("notmet-chart", PARTS.map(([k, name]) => ({ type: "bar", name, x, y: years.map(y => y[k]), marker: { color: colours[k] },
      hovertemplate: `${name}: %{y} learners in %{x}<extra></extra>` })),
    { barmode: "stack", title: { text: `${needLabel(need)}: not met in area, ${label("pool", pool()).toLowerCase()}` },
      margin: { t: 50, r: 20, b: 60, l: 60 }, legend: { orientation: "h", y: -0.2 },
      xaxis: { title: { text: "Academic year" } }, yaxis: { title: { text: "Learners" }, rangemode: "tozero", tickformat: ",d" } },
    { alt: `Stacked bars: for ${needLabel(need)}, learners short of places, out of reach and placed out of area or independent in each forecast year` });
    const worst = years.reduce((a, y) => (y.not_met > a.not_met ? y : a), years[0]);
    const first = years.find(y => y.not_met > 0);
    const shortYears = years.filter(y => y.short_of_capacity + y.out_of_reach > 0);
    $("notmet-answer").textContent = !first ? `${needLabel(need)}: need is met in area in every forecast year.`
      : `${needLabel(need)}: need is not met in area from ${academicYear(first.academic_year)} ` +
        `(${num(first.not_met)} learners: ${num(first.short_of_capacity)} short of places, ${num(first.out_of_reach)} out of reach, ` +
        `${num(first.placed_out_of_area)} out of area). Most in ${academicYear(worst.academic_year)}: ${num(worst.not_met)} ` +
        `(${num(worst.short_of_capacity)} short, ${num(worst.out_of_reach)} out of reach, ${num(worst.placed_out_of_area)} out of area, ` +
        `out-of-area cost ${money(worst.out_of_area_cost_gbp)} a year). ` +
        (shortYears.length ? `Places run short or out of reach in ${shortYears.map(y => academicYear(y.academic_year)).join(", ")}.`
          : "No learner is left without a place: the gap is met out of area.");
    PP.table("year-detail", [{ key: "academic_year", label: "Academic year", format: academicYear },
      { key: "demand", label: "Demand", numeric: true, format: v => num(v) },
      { key: "placed_in_area", label: "Placed in area", numeric: true, format: v => num(v) },
      { key: "short_of_capacity", label: "Short of places", numeric: true, format: v => num(v) },
      { key: "out_of_reach", label: "Out of reach", numeric: true, format: v => num(v) },
      { key: "placed_out_of_area", label: "Out of area / independent", numeric: true, format: v => num(v) },
      { key: "not_met", label: "Not met in area", numeric: true, format: v => `<strong>${num(v)}</strong>` },
      { key: "out_of_area_cost_gbp", label: "Out-of-area cost a year", numeric: true, format: v => (v === null ? "not costed (run again)" : pounds(v)) }],
    years, { caption: `${needLabel(need)}, ${label("pool", pool()).toLowerCase()}: every forecast year (cost: each setting's cost per place, else the indicative cost of its kind)`,
      rowHeaders: true, id: "year-detail-table" });
  }

  function drawNeedYear() {
    const rows = poolRows();
    const data = needs().map(need => Object.assign({ need }, ...run.result.years.map(year =>
      ({ [year]: sum(rows.filter(r => r.need === need && r.academic_year === year), notMet) }))));
    const cols = [{ key: "need", label: "Need", format: v => `<abbr title="${esc((PP.label("need", v)))}">${esc(v)}</abbr>` }]
      .concat(run.result.years.map(year => ({ key: year, label: academicYear(year), numeric: true, format: v => (v ? num(v) : "0") })));
    table("need-year", cols, data.filter(d => run.result.years.some(y => d[y] > 0)).concat(
      [Object.assign({ need: "All needs" }, ...run.result.years.map(year => ({ [year]: sum(rows.filter(r => r.academic_year === year), notMet) })))]),
    { caption: `Learners not met in area (short + out of reach + out of area), ${label("pool", pool()).toLowerCase()}, by need and year`,
      rowHeaders: true, id: "need-year-table" });
  }

  function drawHeatmap() {
    const year = currentYear();
    $("suff-year-label").textContent = academicYear(year);
    const measure = $("suff-measure");
    const rows = poolRows().filter(r => r.academic_year === year);
    const ns = needs();
    const locs = localities.filter(l => rows.some(r => r.locality_id === l.id) || l.in_area);
    const z = ns.map(n => locs.map(l => sum(rows.filter(r => r.need === n && r.locality_id === l.id), r => value(r, measure.value))));
    const zmax = Math.max(1, ...z.flat());
    // Zero cells are left white (no colour) so the cells with learners stand out; the table behind has every zero.
    PP.plot("heatmap", [{ type: "heatmap", z: z.map(row => row.map(v => (v ? v : null))), x: locs.map(l => l.name), y: ns,
      text: z.map(row => row.map(v => (v ? num(v) : ""))), texttemplate: "%{text}", hoverongaps: false,
      colorscale: PP.PALETTE.sequential || "Viridis", reversescale: true, zmin: 0, zmax,
      hovertemplate: "%{y} in %{x}: %{z} learners<extra></extra>",
      colorbar: Object.assign({ title: { text: "Learners" } }, PP.wholeTicks(zmax)), xgap: 2, ygap: 2 }],
    { title: { text: `${measure.selectedOptions[0].textContent}, ${academicYear(year)}` }, margin: { t: 60, r: 10, b: 100, l: 60 },
      height: 180 + 30 * ns.length,
      yaxis: { autorange: "reversed", title: { text: "Primary need" }, automargin: true }, xaxis: { title: { text: "Locality" }, automargin: true } },
    { table: { columns: [{ key: "need", label: "Need" }].concat(locs.map((l, i) => ({ key: "c" + i, label: l.name, numeric: true, format: v => num(v) }))),
      rows: ns.map((n, r) => Object.assign({ need: n }, ...locs.map((l, i) => ({ ["c" + i]: z[r][i] })))),
      caption: `${measure.selectedOptions[0].textContent}, ${academicYear(year)}, ${label("pool", pool()).toLowerCase()}: learners by need and locality` },
      alt: `Heatmap of ${measure.selectedOptions[0].textContent.toLowerCase()} in ${academicYear(year)} by primary need (rows) and locality (columns), ${label("pool", pool()).toLowerCase()}` });
    const el = $("heatmap");
    if (el.removeAllListeners) el.removeAllListeners("plotly_click");
    el.on("plotly_click", ev => { const p = ev.points[0]; showCell(p.y, locs[p.pointNumber[1]].id); });
    // The line above the heatmap: this pool only (specialist and AP places serve different demand).
    const t = {};
    for (const k of ["demand", "placed_in_area", "short_of_capacity", "out_of_reach", "placed_out_of_area", "out_of_area_cost_gbp"]) t[k] = sum(rows, r => r[k] || 0);
    $("pool-line").textContent = `${label("pool", pool())}, ${academicYear(year)}: demand ${num(t.demand)}, placed in area ${num(t.placed_in_area)}, ` +
      `short of places ${num(t.short_of_capacity)}, out of reach ${num(t.out_of_reach)}, out of area / independent ${num(t.placed_out_of_area)} ` +
      `(cost ${money(t.out_of_area_cost_gbp)} a year): not met in area ${num(notMet(t))}.`;
  }

  function showCell(need, localityId) {
    cell = { need, localityId };
    $("cell-need").value = need;
    $("cell-locality").value = localityId;
    const year = currentYear();
    const rows = PP.inOrder("phase", poolRows().filter(r => r.academic_year === year && r.need === need && r.locality_id === localityId).map(r => r.phase))
      .map(ph => poolRows().find(r => r.academic_year === year && r.need === need && r.locality_id === localityId && r.phase === ph));
    const spare = Object.fromEntries(run.result.spare_places.filter(s => s.academic_year === year).map(s => [s.setting_id, s]));
    const inCell = settings.filter(s => s.locality_id === localityId && PP.isOpenIn(s, year) && s.designations.includes(need));
    const locName = PP.named((localities.find(l => l.id === localityId) || {}).name, localityId);
    const box = $("cell-detail");
    box.innerHTML = `<div class="card"><h3>${esc(needLabel(need))} in ${esc(locName)}, ${academicYear(year)}</h3><div id="cell-demand"></div><div id="cell-settings"></div></div>`;
    table("cell-demand", [{ key: "phase", label: "Phase", format: v => esc(label("phase", v)) }, { key: "demand", label: "Demand", numeric: true },
      { key: "placed_in_area", label: "Placed in area", numeric: true }, { key: "short_of_capacity", label: "Short of places", numeric: true },
      { key: "out_of_reach", label: "Out of reach", numeric: true }, { key: "placed_out_of_area", label: "Out of area", numeric: true },
      { key: "mean_journey_minutes", label: "Mean journey (min)", numeric: true, format: v => num(v, 1) },
      { key: "out_of_area_cost_gbp", label: "Out-of-area cost", numeric: true, format: pounds }, { key: "cost_gbp", label: "Cost of all places", numeric: true, format: pounds }],
    rows, { caption: rows.length ? "Demand in this cell by phase" : "No forecast demand in this cell", id: "cell-demand-table" });
    table("cell-settings", [{ key: "name", label: "Setting designated for " + need }, { key: "kind", label: "Kind", format: v => esc(label("kind", v)) },
      { key: "capacity", label: "Places", numeric: true }, { key: "id", label: "Used", numeric: true, format: v => spare[v] ? num(spare[v].used) : "—" },
      { key: "id", label: "Spare", numeric: true, format: v => spare[v] ? num(spare[v].spare_places) : "—" }],
    inCell, { caption: inCell.length ? `Settings in ${locName} designated for ${need}` : `No setting in ${locName} is designated for ${need}`, id: "cell-settings-table" });
  }

  function drawFan() {
    const need = $("fan-need").value;
    const r = forecastRun.result, q = r.totals_by_need[need];
    const x = r.years.map(academicYear);
    const blue = PP.PALETTE.categorical[0] || "#0072B2";
    PP.plot("fan-chart", [
      { x, y: q.p90, type: "scatter", mode: "lines", line: { width: 0 }, name: "90th percentile", showlegend: false, hoverinfo: "y+name" },
      { x, y: q.p10, type: "scatter", mode: "lines", fill: "tonexty", fillcolor: "rgba(0,114,178,0.2)", line: { width: 0 }, name: "10th–90th percentile", hoverinfo: "y+name" },
      { x, y: q.p50, type: "scatter", mode: "lines+markers", line: { color: blue, width: 3 }, name: "Median" },
    ], { title: { text: `Learners with plans, primary need ${need}` }, margin: { t: 50, r: 20, b: 50, l: 60 },
      xaxis: { title: { text: "Academic year" } }, yaxis: { title: { text: "Learners" } }, legend: { orientation: "h", y: -0.25 } },
    { table: { caption: `Learners with plans, primary need ${need}: forecast percentiles`,
      columns: [{ key: "year", label: "Academic year" }, { key: "p10", label: "10th percentile", numeric: true, format: v => num(v) },
        { key: "p50", label: "Median", numeric: true, format: v => num(v) }, { key: "p90", label: "90th percentile", numeric: true, format: v => num(v) }],
      rows: x.map((year, i) => ({ year, p10: q.p10[i], p50: q.p50[i], p90: q.p90[i] })) } });
  }

  function setupForecast() {
    const ns = PP.inOrder("need", Object.keys(forecastRun.result.totals_by_need));
    const select = $("fan-need");
    select.innerHTML = ns.map(n => `<option value="${esc(n)}">${esc(needLabel(n))}</option>`).join("");
    select.value = ns.includes("ASD") ? "ASD" : ns[0];
    select.onchange = drawFan;
    drawFan();
  }

  function drawAll() { drawNotMet(); drawNeedYear(); drawHeatmap(); if (cell) showCell(cell.need, cell.localityId); }

  function setupRun() {
    const slider = $("suff-year");
    slider.max = String(run.result.years.length - 1);
    if (Number(slider.value) > run.result.years.length - 1) slider.value = "0";
    slider.setAttribute("aria-valuetext", academicYear(currentYear()));
    slider.oninput = () => { slider.setAttribute("aria-valuetext", academicYear(currentYear())); drawHeatmap(); if (cell) showCell(cell.need, cell.localityId); };
    const ns = needs(), keep = $("suff-need").value;
    const options = ns.map(n => `<option value="${esc(n)}">${esc(needLabel(n))}</option>`).join("");
    $("suff-need").innerHTML = options;
    $("suff-need").value = ns.includes(keep) ? keep : ns.includes("ASD") ? "ASD" : ns[0];
    $("cell-need").innerHTML = options;
    if (!cell) $("cell-need").value = $("suff-need").value; // the drill-down starts at the need the answer is about
    $("cell-locality").innerHTML = localities.map(l => `<option value="${esc(l.id)}">${esc(PP.named(l.name, l.id))}</option>`).join("");
    $("suff-info").textContent = `Run ${run.id.slice(0, 8)}: ${run.result.years.length} forecast years, ` +
      `${academicYear(run.result.years[0])} to ${academicYear(run.result.years[run.result.years.length - 1])}, demand at the forecast quantile ${run.result.quantile}.`;
    drawAll();
  }

  async function workbookPath() {
    // The sufficiency routes own the workbook; find its address in the service's OpenAPI document. The query asks
    // for the run's own horizon and quantile (same seed and runs as a run's defaults), so the figures agree.
    const spec = await fetch("/openapi.json").then(r => r.json());
    const path = Object.keys(spec.paths).find(p => /suffic/i.test(p) && /(workbook|xlsx)/i.test(p) && spec.paths[p].get);
    const fill = p => p.replace("{instance_id}", ctx.instanceId).replace("{run_id}", run.id);
    const query = `years=${run.result.years.length}&quantile=${run.result.quantile}`;
    if (path) return fill(path) + (path.includes("{run_id}") ? "" : "?" + query);
    const withFormat = Object.keys(spec.paths).find(p => /suffic/i.test(p) && /\{run_id\}/.test(p) && spec.paths[p].get &&
      (spec.paths[p].get.parameters || []).some(x => x.name === "format"));
    return withFormat ? fill(withFormat) + "?format=xlsx" : null;
  }

  PP.onReady(async (c) => {
    ctx = c;
    [settings, localities] = await Promise.all([PP.allPages(`instances/${ctx.instanceId}/settings`), PP.allPages(`instances/${ctx.instanceId}/localities`)]);
    localities = localities.filter(l => l.in_area);
    $("suff-measure").onchange = drawHeatmap;
    $("suff-pool").onchange = () => run && drawAll();
    $("suff-need").onchange = () => { if (!run) return; drawNotMet(); if (!cell) $("cell-need").value = $("suff-need").value; };
    $("cell-show").onclick = () => run && showCell($("cell-need").value, $("cell-locality").value);
    $("suff-run").onclick = async () => {
      try { run = await runAndWait({ kind: "sufficiency", instance_id: ctx.instanceId, parameters: RUN_PARAMETERS }, "suff-progress"); setupRun(); status("Sufficiency finished.", "ok"); }
      catch (e) { status(e.message, "error"); }
    };
    $("fan-run").onclick = async () => {
      try { forecastRun = await runAndWait({ kind: "forecast", instance_id: ctx.instanceId, parameters: { horizon_years: 10 } }, "fan-progress"); setupForecast(); }
      catch (e) { status(e.message, "error"); }
    };
    $("suff-download").onclick = async () => {
      if (!run) { status("Run sufficiency first.", "error"); return; }
      try {
        const path = await workbookPath();
        if (path) await PP.downloadFrom(path, `sufficiency-${run.id.slice(0, 8)}.xlsx`);
        else {
          PP.download(`sufficiency-${run.id.slice(0, 8)}.csv`, PP.csv(Object.keys(run.result.rows[0]), run.result.rows));
          status("The service has no sufficiency workbook route yet: downloaded the rows as CSV instead.");
        }
      } catch (e) { status(e.message, "error"); }
    };
    run = await latestRun("sufficiency", { instance_id: ctx.instanceId });
    if (run) setupRun(); else status("No sufficiency run yet for this council: press “Run sufficiency”.");
    forecastRun = await latestRun("forecast", { instance_id: ctx.instanceId });
    if (forecastRun) setupForecast(); else $("fan-chart").innerHTML = "<p>No forecast yet: press “Run a new forecast”.</p>";
  });
})();
