/* Forecast: the council's forecast of EHC plans as a fan (actual January counts, then the median with its
   10th-90th percentile band) for all plans and for special schools, from the newest finished run of each forecast
   model: `published_forecast` (the totals model on the DfE published tables) and `cohort_forecast` (the cohort
   model on the council's own SEN2 returns). Beside each fan, the model's error for this council from the run's own
   out-of-sample backtest (result.backtest: fitted on the years up to train_to only, scored on the years after). */
"use strict";
(function () {
  const { esc, num, latestRun, status } = PP;
  const MODELS = [["published_forecast", "DfE published tables (totals model)"],
    ["cohort_forecast", "The council's own SEN2 returns (cohort model)"]];
  const MEASURES = [["all_plans", "All EHC plans"], ["special_schools", "EHC plans in special schools"]];
  const runs = {};
  const $ = id => document.getElementById(id);
  const pct = v => `${Number(v).toFixed(1)}%`;

  /* "This model's 3-year error for your council was 4.2% (...)": from the run's own backtest, never typed in. */
  function errorSentence(result, measure) {
    const b = result.backtest;
    const ape = b && b.ape_p50 ? b.ape_p50[measure] : null;
    if (ape === null || ape === undefined) {
      return "No backtest error for this council: the model needs more years of data before the last three to test itself.";
    }
    const tested = b.tested_years;
    return `This model's ${b.horizon}-year error for your council was ${pct(ape)} (median absolute percentage error, ` +
      `trained to ${b.train_to}, tested on ${tested[0]}–${tested[tested.length - 1]}).`;
  }

  function drawMeasure(result, measure, title) {
    const q = result.forecast[measure];
    const history = result.history[measure] || {};
    const past = Object.keys(history).map(Number).sort((a, b) => a - b);
    const blue = PP.PALETTE.categorical[0] || "#0072B2", black = PP.PALETTE.categorical[6] || "#000000";
    // The band and the median start from the last actual count so the fan opens from it.
    const last = past.length ? past[past.length - 1] : null;
    const join = arr => (last === null ? arr : [history[last]].concat(arr));
    const x = (last === null ? [] : [last]).concat(result.years);
    PP.plot(`fc-${measure}-chart`, [
      { x: past, y: past.map(y => history[y]), type: "scatter", mode: "lines+markers", name: "Actual",
        line: { color: black, width: 2 }, hovertemplate: "January %{x}: %{y:,.0f} actual<extra></extra>" },
      { x, y: join(q.p90), type: "scatter", mode: "lines", line: { width: 0 }, name: "90th percentile",
        showlegend: false, hovertemplate: "January %{x}: 90th percentile %{y:,.0f}<extra></extra>" },
      { x, y: join(q.p10), type: "scatter", mode: "lines", fill: "tonexty", fillcolor: "rgba(0,114,178,0.2)",
        line: { width: 0 }, name: "10th–90th percentile", hovertemplate: "January %{x}: 10th percentile %{y:,.0f}<extra></extra>" },
      { x, y: join(q.p50), type: "scatter", mode: "lines+markers", name: "Median forecast",
        line: { color: blue, width: 3, dash: "dash" }, hovertemplate: "January %{x}: median %{y:,.0f}<extra></extra>" },
    ], { title: { text: `${title}: actual and forecast` }, margin: { t: 50, r: 20, b: 60, l: 70 },
      xaxis: { title: { text: "January census" }, tickformat: "d", dtick: 1 },
      yaxis: { title: { text: "EHC plans" }, tickformat: ",d", rangemode: "tozero" }, legend: { orientation: "h", y: -0.25 } },
    { alt: `${title}: actual counts each January to ${last}, then the forecast median with its 10th to 90th percentile band to ${result.years[result.years.length - 1]}`,
      table: { caption: `${title}: actual counts and forecast percentiles by January census`,
        columns: [{ key: "year", label: "January census" }, { key: "actual", label: "Actual", numeric: true, format: v => num(v) },
          { key: "p10", label: "10th percentile", numeric: true, format: v => num(v) },
          { key: "p50", label: "Median", numeric: true, format: v => num(v) },
          { key: "p90", label: "90th percentile", numeric: true, format: v => num(v) }],
        rows: past.map(y => ({ year: y, actual: history[y], p10: null, p50: null, p90: null }))
          .concat(result.years.map((y, i) => ({ year: y, actual: null, p10: q.p10[i], p50: q.p50[i], p90: q.p90[i] }))) } });
    $(`fc-${measure}-error`).textContent = errorSentence(result, measure);
  }

  function draw() {
    const kind = $("fc-model").value, run = runs[kind];
    const r = run.result;
    const who = r.la_name ? `${r.la_name}${r.la_code ? ` (${r.la_code})` : ""}` : "this council";
    $("fc-info").textContent = `Run ${run.id.slice(0, 8)}: ${who}, fitted on the January censuses to ${r.last_year}, ` +
      `forecast ${r.years[0]}–${r.years[r.years.length - 1]} from ${num(r.statistics ? r.statistics.draws : null)} simulated futures.`;
    for (const [measure, title] of MEASURES) drawMeasure(r, measure, title);
  }

  /* The models with a finished run in the select (the chosen one, else the first), and their fans drawn. */
  function showModels(chosen) {
    const available = MODELS.filter(([kind]) => runs[kind]);
    const select = $("fc-model");
    select.disabled = !available.length;
    if (!available.length) {
      select.innerHTML = "<option value=''>No forecast run yet</option>";
      for (const [measure] of MEASURES) $(`fc-${measure}-chart`).innerHTML = "<p>No forecast yet for this council.</p>";
      status("No forecast run yet for this council: run the cohort model below, or start a published_forecast run (docs/api.md).");
      return;
    }
    select.innerHTML = available.map(([kind, words]) => `<option value="${esc(kind)}">${esc(words)}</option>`).join("");
    if (chosen && runs[chosen]) select.value = chosen;
    select.onchange = draw;
    draw();
  }

  PP.onReady(async (ctx) => {
    for (const [kind] of MODELS) {
      try { runs[kind] = await latestRun(kind, { instance_id: ctx.instanceId }); } catch (e) { runs[kind] = null; }
    }
    $("fc-run").onclick = async () => {
      const returns = $("fc-returns").value.trim();
      if (!returns) { status("Give the name of the folder of SEN2 returns.", "error"); $("fc-returns").focus(); return; }
      try {
        runs.cohort_forecast = await PP.runAndWait({ kind: "cohort_forecast", instance_id: ctx.instanceId,
          parameters: { returns } }, "fc-progress");
        status("Cohort forecast finished.", "ok");
        showModels("cohort_forecast");
      } catch (e) { status(e.message, "error"); }
    };
    showModels(null);
  });
})();
