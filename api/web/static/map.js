/* Map: localities as cells around their centres (BNG metres), settings sized by places, coloured by fill rate. */
"use strict";
(function () {
  const { esc, num, table, latestRun, status, academicYear } = PP;
  let ctx = null, settings = [], localities = [], run = null;

  /* Keep the part of a polygon on the near side of the bisector between centre a and centre b. */
  function clip(poly, a, b) {
    const nx = b.x - a.x, ny = b.y - a.y, c = (b.x * b.x + b.y * b.y - a.x * a.x - a.y * a.y) / 2;
    const inside = p => p.x * nx + p.y * ny <= c;
    const out = [];
    for (let i = 0; i < poly.length; i++) {
      const p = poly[i], q = poly[(i + 1) % poly.length];
      const pin = inside(p), qin = inside(q);
      if (pin) out.push(p);
      if (pin !== qin) {
        const t = (c - p.x * nx - p.y * ny) / ((q.x - p.x) * nx + (q.y - p.y) * ny);
        out.push({ x: p.x + t * (q.x - p.x), y: p.y + t * (q.y - p.y) });
      }
    }
    return out;
  }

  function cells(points, box) {
    return points.map((a, i) => points.reduce((poly, b, j) => (i === j || !poly.length ? poly : clip(poly, a, b)),
      [{ x: box.x0, y: box.y0 }, { x: box.x1, y: box.y0 }, { x: box.x1, y: box.y1 }, { x: box.x0, y: box.y1 }]));
  }

  function shade(t) { // white to deep blue, readable labels on top
    const lerp = (a, b) => Math.round(a + (b - a) * t);
    return `rgba(${lerp(240, 33)},${lerp(245, 102)},${lerp(250, 172)},0.55)`;
  }

  function draw() {
    const year = Number(document.getElementById("map-year").value);
    const narrow = document.getElementById("map").clientWidth < 600; // a phone: the colour bar goes under the map
    const inArea = localities.filter(l => l.in_area);
    const open = settings.filter(s => s.in_area && PP.isOpenIn(s, year));
    const xs = open.map(s => s.location.easting).concat(inArea.map(l => l.centroid.easting));
    const ys = open.map(s => s.location.northing).concat(inArea.map(l => l.centroid.northing));
    const pad = 3000;
    const box = { x0: Math.min(...xs) - pad, x1: Math.max(...xs) + pad, y0: Math.min(...ys) - pad, y1: Math.max(...ys) + pad };
    // Specialist pool only; "not met in area" counts short of places, out of reach and placed out of area, as the
    // Sufficiency page's default view does.
    const demand = {}, unmet = {}, parts = {};
    if (run) for (const r of run.result.rows) if (r.academic_year === year && r.pool === "specialist") {
      demand[r.locality_id] = (demand[r.locality_id] || 0) + r.demand;
      unmet[r.locality_id] = (unmet[r.locality_id] || 0) + r.short_of_capacity + r.out_of_reach + r.placed_out_of_area;
      const p = parts[r.locality_id] || (parts[r.locality_id] = { short: 0, reach: 0, ooa: 0 });
      p.short += r.short_of_capacity; p.reach += r.out_of_reach; p.ooa += r.placed_out_of_area;
    }
    const maxDemand = Math.max(1, ...Object.values(demand));
    const polys = cells(inArea.map(l => ({ x: l.centroid.easting, y: l.centroid.northing })), box);
    const traces = polys.map((poly, i) => {
      const l = inArea[i], d = demand[l.id] || 0;
      return { type: "scatter", mode: "lines", fill: "toself", fillcolor: shade(d / maxDemand), line: { color: "#5b6b7d", width: 1 },
        x: poly.map(p => p.x).concat(poly.length ? [poly[0].x] : []), y: poly.map(p => p.y).concat(poly.length ? [poly[0].y] : []),
        name: l.name, showlegend: false, hoverinfo: "text", hoveron: "fills",
        text: `${l.name}: specialist demand ${num(d)}, not met in area ${num(unmet[l.id] || 0)}` };
    });
    const spare = run ? Object.fromEntries(run.result.spare_places.filter(s => s.academic_year === year).map(s => [s.setting_id, s])) : {};
    const specialist = open.filter(s => s.kind !== "mainstream" && s.kind !== "fe_college");
    const fill = s => spare[s.id] && spare[s.id].capacity ? spare[s.id].used / spare[s.id].capacity : null;
    const symbols = { special: "circle", semh_special: "diamond", resourced_provision: "square", sen_unit: "square-open",
      post16_specialist: "triangle-up", pru_ap: "x", independent_special: "star" };
    const kinds = [...new Set(specialist.map(s => s.kind))];
    kinds.forEach((kind, k) => {
      const group = specialist.filter(s => s.kind === kind);
      traces.push({ type: "scatter", mode: "markers", name: PP.label("kind", kind),
        x: group.map(s => s.location.easting), y: group.map(s => s.location.northing),
        marker: { symbol: symbols[kind] || "circle", size: group.map(s => 8 + 2.2 * Math.sqrt(s.capacity)), sizemode: "diameter",
          color: group.map(s => fill(s) === null ? 0 : fill(s)), cmin: 0, cmax: 1, colorscale: PP.PALETTE.sequential_alt || "Cividis",
          showscale: k === 0, colorbar: narrow ? { title: { text: "Fill rate" }, tickformat: ".0%", orientation: "h", yref: "container", y: 0.01, yanchor: "bottom", thickness: 12 }
            : { title: { text: "Fill rate" }, tickformat: ".0%", x: 1.02 }, line: { color: "#222", width: 1 } },
        text: group.map(s => `${s.name} (${s.id})<br>${PP.label("kind", kind)} · ${s.capacity} places` +
          (spare[s.id] ? `<br>used ${spare[s.id].used}, spare ${spare[s.id].spare_places} (${Math.round(100 * fill(s))}% full)` : "<br>fill rate: run sufficiency") +
          `<br>needs: ${s.designations.join(", ") || "any"}`),
        hoverinfo: "text" });
    });
    // Locality names last, so they are drawn over the settings' symbols rather than hidden under them.
    traces.push({ type: "scatter", mode: "text", x: inArea.map(l => l.centroid.easting), y: inArea.map(l => l.centroid.northing),
      text: inArea.map(l => `<b>${esc(l.name)}</b><br>${run ? "demand " + num(demand[l.id] || 0) : ""}`), textfont: { size: 12, color: "#1b1f24" },
      hoverinfo: "skip", showlegend: false });
    PP.plot("map", traces, { margin: { t: narrow ? 130 : 40, r: 20, b: narrow ? 130 : 50, l: 70 }, hovermode: "closest",
      legend: narrow ? { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" } : { orientation: "h", x: 0, y: 1.06 },
      xaxis: { title: { text: "Easting (m)" }, range: [box.x0, box.x1], showgrid: false, zeroline: false, tickangle: 0 },
      yaxis: { title: { text: "Northing (m)" }, range: [box.y0, box.y1], scaleanchor: "x", scaleratio: 1, showgrid: false, zeroline: false },
      plot_bgcolor: "#ffffff" }, { table: false, alt: `Map of the council's localities shaded by specialist demand in ${academicYear(year)}, with specialist settings sized by places and coloured by how full they are`,
      tableNote: "The figures for each locality are in the Localities table after the map.", keepLegend: true });
    document.getElementById("map-info").textContent = run ? `Demand and fill from sufficiency run ${run.id.slice(0, 8)}.` : "No sufficiency run yet: demand and fill rates appear once one has run (Sufficiency page).";
    const part = (v, k) => run ? num((parts[v] || {})[k] || 0) : "—";
    table("locality-table", [{ key: "name", label: "Locality", format: (v, l) => esc(PP.named(v, l.id)) },
      { key: "id", label: "Specialist demand", numeric: true, format: v => run ? num(demand[v] || 0) : "—" },
      { key: "id", label: "Short of places", numeric: true, format: v => part(v, "short") },
      { key: "id", label: "Out of reach", numeric: true, format: v => part(v, "reach") },
      { key: "id", label: "Out of area / independent", numeric: true, format: v => part(v, "ooa") },
      { key: "id", label: "Not met in area", numeric: true, format: v => run ? `<strong>${num(unmet[v] || 0)}</strong>` : "—" },
      { key: "id", label: "Specialist settings", numeric: true, format: v => num(specialist.filter(s => s.locality_id === v).length) },
      { key: "id", label: "Specialist places", numeric: true, format: v => num(specialist.filter(s => s.locality_id === v).reduce((a, s) => a + s.capacity, 0)) }],
      inArea, { caption: `Localities, ${academicYear(year)}`, rowHeaders: true, id: "localities" });
  }

  PP.onReady(async (c) => {
    ctx = c;
    [settings, localities] = await Promise.all([PP.allPages(`instances/${ctx.instanceId}/settings`), PP.allPages(`instances/${ctx.instanceId}/localities`)]);
    run = await latestRun("sufficiency", { instance_id: ctx.instanceId });
    const years = run ? run.result.years : [ctx.instance.base_year];
    const select = document.getElementById("map-year");
    select.innerHTML = years.map(y => `<option value="${y}">${academicYear(y)}</option>`).join("");
    select.onchange = draw;
    draw();
    status(`${num(settings.length)} settings, ${num(localities.length)} localities.`);
  });
})();
