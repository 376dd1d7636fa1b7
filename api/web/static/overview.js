/* Overview: headline KPIs for a scenario and year (aggregate roles), or from the latest placement round (officers). */
"use strict";
(function () {
  const { api, esc, num, money, runAndWait, latestRun, status, academicYear } = PP;
  let ctx = null, settings = [], run = null;

  function card(label, value, sub, tone) {
    return `<div class="kpi ${tone || ""}"><span class="label">${esc(label)}</span><span class="value">${esc(value)}</span>${sub ? `<span class="sub">${esc(sub)}</span>` : ""}</div>`;
  }

  function placesIn(year) {
    const open = settings.filter(s => PP.isOpenIn(s, year));
    const specialist = open.filter(s => s.in_area && PP.SPECIALIST_KINDS.includes(s.kind) && s.kind !== "independent_special");
    return { places: specialist.reduce((a, s) => a + s.capacity, 0), settings: specialist.length };
  }

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

  function drawAggregate() {
    const year = Number(document.getElementById("ov-year").value);
    const p = placesIn(year);
    const cards = [card("Learners with EHC plans", num(ctx.instance.learners), `in the council's data (${academicYear(ctx.instance.base_year)})`),
      card("Specialist places in area", num(p.places), `${p.settings} settings open in ${academicYear(year)} (council's data)`)];
    if (run) {
      const k = run.result.kpis[String(year)];
      const notMet = k.unmet_need + k.out_of_area_placements;
      // Same measure as the Sufficiency page's default view: short of places + out of reach + out of area.
      cards.push(card("Learners needing a specialist or AP place", num(k.demand), "projected demand, specialist and alternative provision"),
        card("Not met in area", num(notMet), `short of places ${num(k.short_of_capacity)}, out of reach ${num(k.out_of_reach)}, out of area ${num(k.out_of_area_placements)}`, notMet > 0.5 ? "bad" : ""),
        card("Unmet need (no place at all)", num(k.unmet_need), "short of places + out of reach", k.unmet_need > 0.5 ? "bad" : ""),
        card("Out-of-area and independent placements", num(k.out_of_area_placements), "", k.out_of_area_placements > 0.5 ? "warn" : ""),
        card("Out-of-area and independent cost", money(k.out_of_area_cost), "a year"),
        card("Journeys", `${num(k.mean_journey_minutes, 1)} min`, `mean; 95% within ${num(k.p95_journey_minutes, 1)} min (limits: 45 primary, 75 secondary)`));
      document.getElementById("kpi-source").textContent =
        `From scenario run ${run.id.slice(0, 8)} (${run.result.scenario.name}), finished ${new Date(run.finished_at).toLocaleString("en-GB")}.`;
      drawTrend();
    } else {
      document.getElementById("kpi-source").textContent = "This scenario has not been run yet: run it to see demand, unmet need and cost.";
    }
    document.getElementById("kpis").innerHTML = cards.join("");
  }

  function drawTrend() {
    const r = run.result;
    const x = r.years.map(academicYear);
    const series = [["demand", "Demand (specialist and AP)"], ["placed_in_area", "Placed in area"], ["not_met", "Not met in area"],
      ["out_of_area_placements", "Out of area / independent"], ["unmet_need", "Unmet need (no place)"]];
    const at = (y, k) => k === "not_met" ? r.kpis[y].unmet_need + r.kpis[y].out_of_area_placements : r.kpis[y][k];
    const dashes = ["solid", "dot", "solid", "dash", "dashdot"];
    document.getElementById("trend-section").hidden = false;
    PP.plot("trend-chart", series.map(([k, name], i) => ({ type: "scatter", mode: "lines+markers", name, x, y: r.years.map(y => at(y, k)),
      line: { dash: dashes[i], width: 2.5 } })),
    { margin: { t: 20, r: 20, b: 50, l: 60 }, legend: { orientation: "h", y: -0.25 }, xaxis: { title: { text: "Academic year" } },
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
    const p = placesIn(year);
    const cards = [card("Learners with EHC plans", num(ctx.instance.learners), `in the council's data`),
      card("Specialist places in area", num(p.places), `${p.settings} settings open in ${academicYear(year)}`)];
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
    document.getElementById("kpis").innerHTML = cards.join("");
  }

  PP.onReady(async (c) => {
    ctx = c;
    settings = await PP.allPages(`instances/${ctx.instanceId}/settings`);
    if (ctx.role === "officer") { await officerView(); return; }
    const scenarios = (await api(`scenarios?limit=200&base_instance_id=${ctx.instanceId}`)).items;
    document.getElementById("ov-scenario").innerHTML += scenarios.map(s => `<option value="${s.id}">${esc(s.name)}</option>`).join("");
    document.getElementById("ov-scenario").onchange = () => loadRun().catch(e => status(e.message, "error"));
    document.getElementById("ov-year").onchange = drawAggregate;
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
