/* Transitions (officers): cases that will miss a deadline first (with the reason), every case's deadline and slack,
   each outreach team's hours booked against its hours week by week, and the team calendars. */
"use strict";
(function () {
  const { esc, num, table, runAndWait, latestRun, status } = PP;
  let ctx = null, run = null;
  const label = s => PP.label("status", s);
  // "SEMH outreach (T-SEMH)": a team shown with its name, not its code alone
  const teamName = v => { if (!v) return "—"; const t = ((run && run.result.teams) || []).find(x => x.team_id === v); return esc(PP.named(t && t.name, v)); };  // "OPTIMAL" -> "Optimal", "primary_to_secondary" -> "primary to secondary"
  const date = d => d ? new Date(d + "T00:00:00").toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" }) : "—";
  const maxLate = c => Math.max(0, ...c.activities.map(a => a.weeks_late || 0));
  const unscheduled = c => c.activities.filter(a => !a.scheduled).length;

  function weekDates() {
    const start = new Date(run.result.calendar.start + "T00:00:00");
    return Array.from({ length: run.result.calendar.weeks }, (_, w) => new Date(start.getTime() + w * 7 * 86400000).toISOString().slice(0, 10));
  }

  const slackText = c => c.slack_weeks === null || c.slack_weeks === undefined ? "—" : `${c.slack_weeks} wk`;
  const sourceText = { pinned: "pinned", placement_run: "placement run", request: "family's request", staying: "staying on" };

  function drawCases() {
    const kind = document.getElementById("tr-kind").value, team = document.getElementById("tr-team-filter").value;
    // The result lists the cases that will miss a deadline first, then by deadline: keep that order
    const rows = run.result.cases.filter(c => (!kind || c.transition === kind) && (!team || c.team_id === team));
    const shown = rows.slice(0, 300);
    table("cases", [{ key: "deadline", label: "Deadline", format: (v, c) => `${date(v)}${c.statutory ? "" : " (local rule)"}` },
      { key: "learner_id", label: "Learner" },
      { key: "transition", label: "Transition", format: label }, { key: "ncy_now", label: "Year group", format: (v, c) => `${esc(v)} → ${esc(c.ncy_next)}` },
      { key: "need", label: "Need" }, { key: "tier", label: "Support", format: label }, { key: "team_id", label: "Team", format: teamName },
      { key: "receiving_setting_id", label: "Receiving setting", format: (v, c) => v ? `${esc(v)} <span class="muted">(${esc(sourceText[c.receiving_source] || c.receiving_source || "")})</span>` : "to be named" },
      { key: "slack_weeks", label: "Slack", numeric: true, format: (v, c) => esc(slackText(c)) },
      { key: "misses_deadline", label: "Deadline met?", format: (v, c) => v ? `<span class="tag bad">will miss</span> ${esc(c.reason)}` : '<span class="tag good">on time</span>' }],
      shown, { caption: rows.length > shown.length ? `First ${shown.length} of ${rows.length} cases: those that will miss a deadline first, then by deadline` : `${rows.length} cases: those that will miss a deadline first, then by deadline`, id: "case-table" });
  }

  function drawTeam() {
    const id = document.getElementById("tr-team").value;
    const t = run.result.teams.find(x => x.team_id === id);
    if (!t) return;
    const x = weekDates();
    const cap = t.capacity_hours_by_week || [];
    PP.plot("team-chart", [
      { type: "bar", name: "Hours booked", x, y: t.load_hours_by_week, marker: { color: "#0b4f8a" } },
      { type: "scatter", mode: "lines", name: "Hours available", x, y: cap, line: { color: "#a4161a", shape: "hv" } },
    ], { title: { text: `${t.name}: hours per week, booked and available` }, margin: { t: 50, r: 20, b: 60, l: 60 }, legend: { orientation: "h" },
      xaxis: { title: { text: "Week commencing" } }, yaxis: { title: { text: "Hours" } } },
      { table: false, tableNote: "The figures are in the table below the chart." });
    // The chart's figures as a table (every term-time week): booked against available
    const weeks = run.result.calendar.school_weeks || [];
    table("team-weeks", [{ key: "week", label: "Week commencing", format: date },
      { key: "booked", label: "Hours booked", numeric: true, format: v => num(v, 1) },
      { key: "available", label: "Hours available", numeric: true, format: v => num(v, 1) },
      { key: "share", label: "Booked", numeric: true, format: (v, r) => r.available ? `${Math.round(100 * r.booked / r.available)}%` : "—" }],
      weeks.map(w => ({ week: x[w], booked: t.load_hours_by_week[w], available: cap[w] || 0 })),
      { caption: `${t.name}: hours booked and available in each term-time week (busiest week ${Math.round(100 * (t.peak_load_share || 0))}% of its hours)`, rowHeaders: true, id: "team-week-table" });
    // Hours booked and available by term, summed from the weeks of the schedule (holidays belong to their term)
    const byTerm = {};
    let week = 0;
    for (const block of run.result.calendar.blocks || []) {
      const row = byTerm[block.term] = byTerm[block.term] || { term: block.term, hours: 0, capacity: 0 };
      for (let k = 0; k < block.weeks; k++, week++) { row.hours += t.load_hours_by_week[week] || 0; row.capacity += cap[week] || 0; }
    }
    table("team-table", [{ key: "term", label: "Term" }, { key: "hours", label: "Hours booked", numeric: true, format: v => num(v, 1) },
      { key: "capacity", label: "Hours available", numeric: true, format: v => num(v, 1) }],
      Object.values(byTerm), { caption: `${t.name}: ${t.cases} cases, ${label(t.status)}`, rowHeaders: true });
  }

  function csvLinks() {
    // The plan's cases (deadline, slack, reason; those that will miss a deadline first) and each team's hours
    // booked against available, week by week, as CSV files from the API
    for (const [id, path, name] of [["tr-cases-csv", "cases.csv", "transition-cases.csv"], ["tr-weeks-csv", "team-weeks.csv", "team-weeks.csv"]]) {
      const link = document.getElementById(id);
      link.hidden = false; link.href = "#";
      link.onclick = async (e) => {
        e.preventDefault();
        await PP.downloadFrom(`/api/v1/transitions/${run.id}/${path}`, name).catch(err => status(err.message, "error"));
      };
    }
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
    const source = r.receiving_settings || {};
    const from = source.placement_run_id ? `receiving settings from placement run ${source.placement_run_id.slice(0, 8)}` : "no placement run: receiving settings from the families' first requests";
    document.getElementById("tr-info").textContent = `Transfers in September ${r.year} · run ${run.id.slice(0, 8)} · ${label(r.status)} · ${from}`;
    const late = r.cases.filter(c => c.misses_deadline === undefined ? c.late : c.misses_deadline);
    const cards = [["Transition cases", num(r.counts.cases), ""], ["Statutory", num(r.cases.filter(c => c.statutory).length), ""],
      ["Will miss a deadline", num(late.length), late.length ? "bad" : ""], ["Without a team", num((r.unallocated || []).length), (r.unallocated || []).length ? "warn" : ""]];
    document.getElementById("tr-kpis").innerHTML = cards.map(([l, v, c]) => `<div class="kpi ${c}"><span class="label">${esc(l)}</span><span class="value">${esc(v)}</span></div>`).join("");
    table("late-list", [{ key: "learner_id", label: "Learner" }, { key: "deadline", label: "Deadline", format: date },
      { key: "transition", label: "Transition", format: label }, { key: "team_id", label: "Team", format: teamName },
      { key: "slack_weeks", label: "Slack", numeric: true, format: (v, c) => esc(slackText(c)) },
      { key: "reason", label: "Why it will miss the deadline", format: (v, c) => esc(v || (unscheduled(c) ? `${unscheduled(c)} activities unscheduled` : `${maxLate(c)} weeks late`)) }],
      late, { caption: late.length ? `${late.length} ${late.length === 1 ? "case" : "cases"} will miss a deadline` : "No case will miss a deadline", id: "late-table" });
    const kinds = Object.keys(r.counts.by_transition || {});
    document.getElementById("tr-kind").innerHTML = `<option value="">All transitions</option>` + kinds.map(k => `<option value="${esc(k)}">${esc(label(k))} (${r.counts.by_transition[k]})</option>`).join("");
    const teams = r.teams.map(t => `<option value="${esc(t.team_id)}">${esc(t.name)}</option>`).join("");
    document.getElementById("tr-team-filter").innerHTML = `<option value="">All teams</option>` + teams;
    document.getElementById("tr-team").innerHTML = teams;
    // The lists, calendars and downloads appear once there is a plan (empty headings and an empty chart before).
    document.getElementById("tr-results").hidden = false;
    drawCases(); drawTeam(); csvLinks();
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
