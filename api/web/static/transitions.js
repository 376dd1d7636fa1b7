/* Transitions (officers): this year's cases by deadline, outreach team calendars and the late-risk list. */
"use strict";
(function () {
  const { esc, num, table, runAndWait, latestRun, status } = PP;
  let ctx = null, run = null;
  const label = s => String(s || "").replace(/_/g, " ");
  const date = d => d ? new Date(d + "T00:00:00").toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" }) : "—";
  const maxLate = c => Math.max(0, ...c.activities.map(a => a.weeks_late || 0));
  const unscheduled = c => c.activities.filter(a => !a.scheduled).length;

  function weekDates() {
    const start = new Date(run.result.calendar.start + "T00:00:00");
    return Array.from({ length: run.result.calendar.weeks }, (_, w) => new Date(start.getTime() + w * 7 * 86400000).toISOString().slice(0, 10));
  }

  function drawCases() {
    const kind = document.getElementById("tr-kind").value, team = document.getElementById("tr-team-filter").value;
    const rows = run.result.cases.filter(c => (!kind || c.transition === kind) && (!team || c.team_id === team))
      .sort((a, b) => a.deadline.localeCompare(b.deadline) || a.case_id.localeCompare(b.case_id));
    const shown = rows.slice(0, 300);
    table("cases", [{ key: "deadline", label: "Deadline", format: date }, { key: "learner_id", label: "Learner" },
      { key: "transition", label: "Transition", format: label }, { key: "ncy_now", label: "Year group", format: (v, c) => `${esc(v)} → ${esc(c.ncy_next)}` },
      { key: "need", label: "Need" }, { key: "statutory", label: "Statutory", format: v => v ? "yes" : "no" },
      { key: "tier", label: "Support", format: label }, { key: "team_id", label: "Team", format: v => esc(v || "—") },
      { key: "late", label: "On time?", format: (v, c) => v ? `<span class="tag bad">late ${maxLate(c)} wk${unscheduled(c) ? `, ${unscheduled(c)} unscheduled` : ""}</span>` : '<span class="tag good">on time</span>' }],
      shown, { caption: rows.length > shown.length ? `First ${shown.length} of ${rows.length} cases by deadline` : `${rows.length} cases by deadline`, id: "case-table" });
  }

  function drawTeam() {
    const id = document.getElementById("tr-team").value;
    const t = run.result.teams.find(x => x.team_id === id);
    if (!t) return;
    const x = weekDates();
    const cap = t.capacity_hours_by_week || [];
    PP.plot("team-chart", [
      { type: "bar", name: "Planned hours", x, y: t.load_hours_by_week, marker: { color: "#0b4f8a" } },
      { type: "scatter", mode: "lines", name: "Capacity", x, y: cap, line: { color: "#a4161a", shape: "hv" } },
    ], { title: { text: `${t.name}: hours per week` }, margin: { t: 50, r: 20, b: 60, l: 60 }, legend: { orientation: "h" },
      xaxis: { title: { text: "Week commencing" } }, yaxis: { title: { text: "Hours" } } }, PP.plotConfig);
    const terms = Object.keys(t.hours_by_term || {});
    table("team-table", [{ key: "term", label: "Term" }, { key: "hours", label: "Planned hours", numeric: true, format: v => num(v, 1) },
      { key: "capacity", label: "Capacity (hours)", numeric: true, format: v => num(v, 1) }],
      terms.map(term => ({ term, hours: t.hours_by_term[term], capacity: (t.capacity_hours_by_term || {})[term] })),
      { caption: `${t.name}: ${t.cases} cases, ${label(t.status)}`, rowHeaders: true });
  }

  async function icsLink() {
    const link = document.getElementById("tr-ics");
    try {
      const spec = await fetch("/openapi.json").then(r => r.json());
      const path = Object.keys(spec.paths).find(p => /transition/i.test(p) && /(ics|calendar)/i.test(p) && spec.paths[p].get);
      if (!path) return;
      link.hidden = false; link.href = "#";
      link.onclick = async (e) => {
        e.preventDefault();
        const team = document.getElementById("tr-team").value;
        const url = path.replace("{run_id}", run.id).replace("{team_id}", encodeURIComponent(team));
        await PP.downloadFrom(url, `${team}.ics`).catch(err => status(err.message, "error"));
      };
    } catch (e) { /* no calendar export */ }
  }

  function render() {
    const r = run.result, s = r.statistics || {};
    document.getElementById("tr-info").textContent = `Transfers in September ${r.year} · run ${run.id.slice(0, 8)} · ${label(r.status)}`;
    const late = r.cases.filter(c => c.late);
    const cards = [["Transition cases", num(r.counts.cases), ""], ["Statutory", num(r.cases.filter(c => c.statutory).length), ""],
      ["At risk of running late", num(late.length), late.length ? "bad" : ""], ["Without a team", num((r.unallocated || []).length), (r.unallocated || []).length ? "warn" : ""]];
    document.getElementById("tr-kpis").innerHTML = cards.map(([l, v, c]) => `<div class="kpi ${c}"><span class="label">${esc(l)}</span><span class="value">${esc(v)}</span></div>`).join("");
    table("late-list", [{ key: "learner_id", label: "Learner" }, { key: "deadline", label: "Deadline", format: date },
      { key: "transition", label: "Transition", format: label }, { key: "team_id", label: "Team", format: v => esc(v || "—") },
      { key: "case_id", label: "Weeks late", numeric: true, format: (v, c) => num(maxLate(c)) },
      { key: "case_id", label: "Activities unscheduled", numeric: true, format: (v, c) => num(unscheduled(c)) }],
      late.sort((a, b) => a.deadline.localeCompare(b.deadline)), { caption: late.length ? `${late.length} cases at risk of running late` : "No case is at risk of running late", id: "late-table" });
    const kinds = Object.keys(r.counts.by_transition || {});
    document.getElementById("tr-kind").innerHTML = `<option value="">All transitions</option>` + kinds.map(k => `<option value="${esc(k)}">${esc(label(k))} (${r.counts.by_transition[k]})</option>`).join("");
    const teams = r.teams.map(t => `<option value="${esc(t.team_id)}">${esc(t.name)}</option>`).join("");
    document.getElementById("tr-team-filter").innerHTML = `<option value="">All teams</option>` + teams;
    document.getElementById("tr-team").innerHTML = teams;
    drawCases(); drawTeam();
  }

  PP.onReady(async (c) => {
    ctx = c;
    document.getElementById("tr-year").value = ctx.instance.base_year + 1;
    document.getElementById("tr-kind").onchange = () => run && drawCases();
    document.getElementById("tr-team-filter").onchange = () => run && drawCases();
    document.getElementById("tr-team").onchange = () => run && drawTeam();
    document.getElementById("tr-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const parameters = { year: Number(document.getElementById("tr-year").value), time_limit_seconds: Number(document.getElementById("tr-time").value) };
      try { run = await runAndWait({ kind: "transitions", instance_id: ctx.instanceId, parameters }, "tr-progress"); render(); status("Transition plan finished.", "ok"); }
      catch (err) { status(err.message, "error"); }
    });
    run = await latestRun("transitions", { instance_id: ctx.instanceId });
    if (run) render(); else status("No transition plan yet for this council: press “Plan transitions”.");
    icsLink();
  });
})();
