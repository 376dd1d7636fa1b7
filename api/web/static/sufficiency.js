/* Sufficiency: need x locality heatmap with a year slider and drill-down, forecast fan chart, XLSX download. */
"use strict";
(function () {
  const { api, esc, num, money, table, runAndWait, latestRun, status, academicYear } = PP;
  let ctx = null, run = null, forecastRun = null, settings = [], localities = [], cell = null;

  const value = (row, measure) => measure === "unmet" ? row.short_of_capacity + row.out_of_reach : row[measure];

  function currentYear() { return run.result.years[Number(document.getElementById("suff-year").value)]; }

  function rowsFor(year) {
    const pool = document.getElementById("suff-pool").value;
    return run.result.rows.filter(r => r.academic_year === year && r.pool === pool);
  }

  function drawHeatmap() {
    const year = currentYear();
    document.getElementById("suff-year-label").textContent = academicYear(year);
    const measure = document.getElementById("suff-measure");
    const rows = rowsFor(year);
    const needs = [...new Set(run.result.rows.map(r => r.need))].sort();
    const locs = localities.filter(l => rows.some(r => r.locality_id === l.id) || l.in_area);
    const z = needs.map(n => locs.map(l => rows.filter(r => r.need === n && r.locality_id === l.id).reduce((a, r) => a + value(r, measure.value), 0)));
    const text = z.map(row => row.map(v => v ? num(v) : ""));
    Plotly.react("heatmap", [{ type: "heatmap", z, x: locs.map(l => l.name), y: needs, text, texttemplate: "%{text}",
      colorscale: measure.value === "demand" || measure.value === "placed_in_area" ? "Blues" : [[0, "#f7fbff"], [0.2, "#fdd49e"], [1, "#b30000"]],
      hovertemplate: "%{y} in %{x}: %{z}<extra></extra>", colorbar: { title: { text: "Learners" } }, xgap: 2, ygap: 2 }],
      { title: { text: `${measure.selectedOptions[0].textContent}, ${academicYear(year)}` }, margin: { t: 50, r: 20, b: 90, l: 70 },
        yaxis: { autorange: "reversed", title: { text: "Primary need" } }, xaxis: { title: { text: "Locality" } } }, PP.plotConfig);
    const el = document.getElementById("heatmap");
    el.removeAllListeners && el.removeAllListeners("plotly_click");
    el.on("plotly_click", ev => { const p = ev.points[0]; showCell(p.y, locs[p.pointNumber[1]].id); });
    const t = run.result.totals.find(x => x.academic_year === year);
    document.getElementById("suff-info").textContent = t ? `${academicYear(year)}: demand ${num(t.demand)}, placed in area ${num(t.placed_in_area)}, ` +
      `short of capacity ${num(t.short_of_capacity)}, out of reach ${num(t.out_of_reach)}, out of area ${num(t.placed_out_of_area)}, cost ${money(t.cost_gbp)}` : "";
  }

  function showCell(need, localityId) {
    cell = { need, localityId };
    document.getElementById("cell-need").value = need;
    document.getElementById("cell-locality").value = localityId;
    const year = currentYear();
    const rows = rowsFor(year).filter(r => r.need === need && r.locality_id === localityId);
    const spare = Object.fromEntries(run.result.spare_places.filter(s => s.academic_year === year).map(s => [s.setting_id, s]));
    const inCell = settings.filter(s => s.locality_id === localityId && PP.isOpenIn(s, year) && s.designations.includes(need));
    const locName = (localities.find(l => l.id === localityId) || {}).name || localityId;
    const box = document.getElementById("cell-detail");
    box.innerHTML = `<div class="card"><h3>${esc(need)} in ${esc(locName)}, ${academicYear(year)}</h3><div id="cell-demand"></div><div id="cell-settings"></div></div>`;
    table("cell-demand", [{ key: "phase", label: "Phase" }, { key: "demand", label: "Demand", numeric: true },
      { key: "placed_in_area", label: "Placed in area", numeric: true }, { key: "short_of_capacity", label: "Short of capacity", numeric: true },
      { key: "out_of_reach", label: "Out of reach", numeric: true }, { key: "placed_out_of_area", label: "Out of area", numeric: true },
      { key: "mean_journey_minutes", label: "Mean journey (min)", numeric: true, format: v => num(v, 1) }, { key: "cost_gbp", label: "Cost", numeric: true, format: money }],
      rows, { caption: rows.length ? "Demand in this cell by phase" : "No forecast demand in this cell", id: "cell-demand-table" });
    table("cell-settings", [{ key: "name", label: "Setting designated for " + need }, { key: "kind", label: "Kind" },
      { key: "capacity", label: "Places", numeric: true }, { key: "id", label: "Used", numeric: true, format: v => spare[v] ? num(spare[v].used) : "—" },
      { key: "id", label: "Spare", numeric: true, format: v => spare[v] ? num(spare[v].spare_places) : "—" }],
      inCell, { caption: inCell.length ? `Settings in ${locName} designated for ${need}` : `No setting in ${locName} is designated for ${need}`, id: "cell-settings-table" });
  }

  function drawFan() {
    const need = document.getElementById("fan-need").value;
    const r = forecastRun.result, q = r.totals_by_need[need];
    const x = r.years.map(academicYear);
    Plotly.react("fan-chart", [
      { x, y: q.p90, type: "scatter", mode: "lines", line: { width: 0 }, name: "90th percentile", showlegend: false, hoverinfo: "y+name" },
      { x, y: q.p10, type: "scatter", mode: "lines", fill: "tonexty", fillcolor: "rgba(11,79,138,0.2)", line: { width: 0 }, name: "10th–90th percentile", hoverinfo: "y+name" },
      { x, y: q.p50, type: "scatter", mode: "lines+markers", line: { color: "#0b4f8a", width: 3 }, name: "Median" },
    ], { title: { text: `Learners with plans, primary need ${need}` }, margin: { t: 50, r: 20, b: 50, l: 60 },
      yaxis: { title: { text: "Learners" } }, legend: { orientation: "h" } }, PP.plotConfig);
  }

  function setupForecast() {
    const needs = Object.keys(forecastRun.result.totals_by_need).sort();
    const select = document.getElementById("fan-need");
    select.innerHTML = needs.map(n => `<option>${esc(n)}</option>`).join("");
    select.value = needs.includes("ASD") ? "ASD" : needs[0];
    select.onchange = drawFan;
    drawFan();
  }

  function setupHeatmap() {
    const slider = document.getElementById("suff-year");
    slider.max = String(run.result.years.length - 1);
    slider.setAttribute("aria-valuetext", academicYear(run.result.years[Number(slider.value)]));
    slider.oninput = () => { slider.setAttribute("aria-valuetext", academicYear(currentYear())); drawHeatmap(); if (cell) showCell(cell.need, cell.localityId); };
    const needs = [...new Set(run.result.rows.map(r => r.need))].sort();
    document.getElementById("cell-need").innerHTML = needs.map(n => `<option>${esc(n)}</option>`).join("");
    document.getElementById("cell-locality").innerHTML = localities.map(l => `<option value="${esc(l.id)}">${esc(l.name)}</option>`).join("");
    drawHeatmap();
  }

  async function workbookPath() {
    // The sufficiency routes own the workbook; find its address in the service's OpenAPI document.
    const spec = await fetch("/openapi.json").then(r => r.json());
    const path = Object.keys(spec.paths).find(p => /suffic/i.test(p) && /(workbook|xlsx)/i.test(p) && spec.paths[p].get);
    const fill = p => p.replace("{instance_id}", ctx.instanceId).replace("{run_id}", run.id);
    if (path) return fill(path);
    const withFormat = Object.keys(spec.paths).find(p => /suffic/i.test(p) && /\{run_id\}/.test(p) && spec.paths[p].get &&
      (spec.paths[p].get.parameters || []).some(x => x.name === "format"));
    return withFormat ? fill(withFormat) + "?format=xlsx" : null;
  }

  PP.onReady(async (c) => {
    ctx = c;
    [settings, localities] = await Promise.all([PP.allPages(`instances/${ctx.instanceId}/settings`), PP.allPages(`instances/${ctx.instanceId}/localities`)]);
    localities = localities.filter(l => l.in_area);
    document.getElementById("suff-measure").onchange = drawHeatmap;
    document.getElementById("suff-pool").onchange = drawHeatmap;
    document.getElementById("cell-show").onclick = () => run && showCell(document.getElementById("cell-need").value, document.getElementById("cell-locality").value);
    document.getElementById("suff-run").onclick = async () => {
      try { run = await runAndWait({ kind: "sufficiency", instance_id: ctx.instanceId, parameters: {} }, "suff-progress"); setupHeatmap(); status("Sufficiency finished.", "ok"); }
      catch (e) { status(e.message, "error"); }
    };
    document.getElementById("fan-run").onclick = async () => {
      try { forecastRun = await runAndWait({ kind: "forecast", instance_id: ctx.instanceId, parameters: {} }, "fan-progress"); setupForecast(); }
      catch (e) { status(e.message, "error"); }
    };
    document.getElementById("suff-download").onclick = async () => {
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
    if (run) setupHeatmap(); else status("No sufficiency run yet for this council: press “Run sufficiency”.");
    forecastRun = await latestRun("forecast", { instance_id: ctx.instanceId });
    if (forecastRun) setupForecast(); else document.getElementById("fan-chart").innerHTML = "<p>No forecast yet: press “Run a new forecast”.</p>";
  });
})();
