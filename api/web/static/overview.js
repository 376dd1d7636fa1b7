/* Overview: headline KPIs for a scenario and year (aggregate roles), or from the latest placement round (officers). */
"use strict";
(function () {
  const { api, esc, num, money, runAndWait, latestRun, status, academicYear } = PP;
  let ctx = null, settings = [], run = null;

  function card(label, value, sub, tone) {
    return `<div class="kpi ${tone || ""}"><span class="label">${esc(label)}</span><span class="value">${esc(value)}</span>${sub ? `<span class="sub">${esc(sub)}</span>` : ""}</div>`;
  }

  /* Places in area open in `year` for one pool (PP.POOL_OF_KIND: specialist, or alternative provision), independent
     special schools left out (they are out of area whatever their address). */
  function placesIn(year, pool) {
    const open = settings.filter(s => PP.isOpenIn(s, year) && s.in_area && PP.POOL_OF_KIND[s.kind] === pool && s.kind !== "independent_special");
    return { places: open.reduce((a, s) => a + s.capacity, 0), settings: open.length };
  }
  const POOLS = () => PP.ORDER.pool || ["specialist", "alternative_provision"];

  function yearsFor() {
    if (run) return run.result.years.map(Number);
    return Array.from({ length: 10 }, (_, i) => ctx.instance.base_year + i);
  }

  function fillYears() {
    const select = document.getElementById("ov-year");
    const keep = Number(select.value);
    const years = yearsFor();
    select.innerHTML = years.map(y => `<option value="${y}">${academicYear(y)}</option>`).join("");
    select.value = years.includes(keep) ? keep : years[0];
  }

  /* One pool's figures from a scenario run (kpis_by_pool), or only its places when the run has none. */
  function poolCards(pool, year, k) {
    const p = placesIn(year, pool);
    const cards = [card("Places in area", num(p.places), `${num(p.settings)} settings open in ${academicYear(year)} (council's data)`)];
    if (!k) return cards;
    const notMet = k.short_of_capacity + k.out_of_reach + k.placed_out_of_area;
    const unmet = k.short_of_capacity + k.out_of_reach;
    // Same measure as the Sufficiency page's default view: short of places + out of reach + out of area.
    return cards.concat([card("Learners needing a place", num(k.demand), "projected demand"),
      card("Not met in area", num(notMet), `short of places ${num(k.short_of_capacity)}, out of reach ${num(k.out_of_reach)}, out of area ${num(k.placed_out_of_area)}`, notMet > 0.5 ? "bad" : ""),
      card("Unmet need (no place at all)", num(unmet), "short of places + out of reach", unmet > 0.5 ? "bad" : ""),
      card("Out-of-area and independent placements", num(k.placed_out_of_area), `cost ${money(k.out_of_area_cost)} a year`, k.placed_out_of_area > 0.5 ? "warn" : "")]);
  }

  function group(pool, cards) {
    return `<section class="kpi-group" aria-labelledby="kpi-${pool}-h"><h3 id="kpi-${pool}-h">${esc(PP.label("pool", pool))}</h3><div class="kpis">${cards.join("")}</div></section>`;
  }

  function drawAggregate() {
    const year = Number(document.getElementById("ov-year").value);
    const byPool = run && run.result.kpis_by_pool ? run.result.kpis_by_pool[String(year)] : null;
    const shared = [card("Learners with EHC plans", num(ctx.instance.learners), `in the council's data (${academicYear(ctx.instance.base_year)})`)];
    if (run) {
      const k = run.result.kpis[String(year)];
      shared.push(card("Journeys", `${num(k.mean_journey_minutes, 1)} min`, `mean; 95% within ${num(k.p95_journey_minutes, 1)} min (limits: 45 primary, 75 secondary)`));
      document.getElementById("kpi-source").textContent =
        `From scenario run ${run.id.slice(0, 8)} (${run.result.scenario.name}), finished ${new Date(run.finished_at).toLocaleString("en-GB")}.` +
        (byPool ? "" : " This run was made before specialist and alternative provision were reported apart: run the scenario again to see their demand and need not met.");
      drawTrend();
    } else {
      document.getElementById("kpi-source").textContent = "This scenario has not been run yet: run it to see demand, unmet need and cost.";
    }
    document.getElementById("kpis").innerHTML = `<div class="kpis">${shared.join("")}</div>` +
      POOLS().map(pool => group(pool, poolCards(pool, year, byPool ? byPool[pool] : null))).join("");
  }

  function drawTrend() {
    const r = run.result;
    const x = r.years.map(academicYear);
    const select = document.getElementById("ov-pool");
    const pool = r.kpis_by_pool ? select.value : null;
    select.disabled = !r.kpis_by_pool;
    // Per pool from kpis_by_pool; a run made before the split has only the two pools together.
    const figures = y => pool ? r.kpis_by_pool[y][pool] : Object.assign({}, r.kpis[y], { placed_out_of_area: r.kpis[y].out_of_area_placements });
    const series = [["demand", "Demand"], ["placed_in_area", "Placed in area"], ["not_met", "Not met in area"],
      ["placed_out_of_area", "Out of area / independent"], ["unmet_need", "Unmet need (no place)"]];
    const at = (y, key) => {
      const k = figures(y);
      if (key === "not_met") return k.short_of_capacity + k.out_of_reach + k.placed_out_of_area;
      if (key === "unmet_need") return k.short_of_capacity + k.out_of_reach;
      return k[key];
    };
    const dashes = ["solid", "dot", "solid", "dash", "dashdot"];
    const which = pool ? PP.label("pool", pool) : "Specialist and alternative provision together (an older run)";
    document.getElementById("trend-section").hidden = false;
    PP.plot("trend-chart", series.map(([k, name], i) => ({ type: "scatter", mode: "lines+markers", name, x, y: r.years.map(y => at(y, k)),
      line: { dash: dashes[i], width: 2.5 } })),
    { title: { text: which }, margin: { t: 50, r: 20, b: 50, l: 60 }, legend: { orientation: "h", y: -0.25 }, xaxis: { title: { text: "Academic year" } },
      yaxis: { title: { text: "Learners" }, rangemode: "tozero" } });
  }

  async function loadRun() {
    const sid = Number(document.getElementById("ov-scenario").value) || null;
    run = await latestRun("scenario", sid ? { scenario_id: sid } : { instance_id: ctx.instanceId });
    fillYears();
    drawAggregate();
  }

  async function officerView() {
    document.getElementById("scenario-field").hidden = true;
    document.getElementById("ov-run").hidden = true;
    const placement = await latestRun("placement", { instance_id: ctx.instanceId });
    const select = document.getElementById("ov-year");
    const year = placement ? placement.result.academic_year : ctx.instance.base_year + 1;
    select.innerHTML = `<option value="${year}">${academicYear(year)}</option>`;
    const cards = [card("Learners with EHC plans", num(ctx.instance.learners), `in the council's data`)].concat(POOLS().map(pool => {
      const p = placesIn(year, pool);
      return card(`${PP.label("pool", pool)} in area`, num(p.places), `${num(p.settings)} settings open in ${academicYear(year)}`);
    }));
    if (placement) {
      const byId = Object.fromEntries(settings.map(s => [s.id, s]));
      const d = placement.result.decisions;
      const ooa = d.filter(x => x.setting_id && byId[x.setting_id] && (!byId[x.setting_id].in_area || byId[x.setting_id].kind === "independent_special"));
      cards.push(card("Learners in the placement round", num(d.length)),
        card("Unplaced (unmet need)", num(placement.result.statistics.unplaced), "", placement.result.statistics.unplaced ? "bad" : ""),
        card("Out-of-area and independent placements", num(ooa.length), `cost ${money(ooa.reduce((a, x) => a + (x.cost || 0), 0))} a year`),
        card("Journeys over 45 minutes", num(d.filter(x => (x.travel_minutes || 0) > 45).length), `over 75 minutes: ${num(d.filter(x => (x.travel_minutes || 0) > 75).length)}`));
      document.getElementById("kpi-source").textContent = `From placement run ${placement.id.slice(0, 8)} for ${academicYear(year)}.`;
    } else {
      document.getElementById("kpi-source").textContent = "No placement round yet: run one on the Placements page.";
    }
    document.getElementById("kpis").innerHTML = `<div class="kpis">${cards.join("")}</div>`;
  }

  PP.onReady(async (c) => {
    ctx = c;
    settings = await PP.allPages(`instances/${ctx.instanceId}/settings`);
    if (ctx.role === "officer") { await officerView(); return; }
    const scenarios = (await api(`scenarios?limit=200&base_instance_id=${ctx.instanceId}`)).items;
    document.getElementById("ov-scenario").innerHTML += scenarios.map(s => `<option value="${s.id}">${esc(s.name)}</option>`).join("");
    document.getElementById("ov-scenario").onchange = () => loadRun().catch(e => status(e.message, "error"));
    document.getElementById("ov-year").onchange = drawAggregate;
    const poolSelect = document.getElementById("ov-pool");
    poolSelect.innerHTML = POOLS().map(p => `<option value="${p}">${esc(PP.label("pool", p))}</option>`).join("");
    poolSelect.onchange = drawTrend;
    document.getElementById("ov-run").onclick = async () => {
      const sid = Number(document.getElementById("ov-scenario").value) || null;
      try {
        run = await runAndWait(sid ? { kind: "scenario", scenario_id: sid, parameters: {} } : { kind: "scenario", instance_id: ctx.instanceId, parameters: {} }, "ov-progress");
        fillYears(); drawAggregate();
        status("Scenario run finished.", "ok");
      } catch (e) { status(e.message, "error"); }
    };
    await loadRun();
  });
})();
