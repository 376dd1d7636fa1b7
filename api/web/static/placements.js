/* Placements (officers): run a round, review proposals and reasons, filter, pin/unpin and re-run, best-N, export. */
"use strict";
(function () {
  const { api, esc, num, money, table, runAndWait, latestRun, status, academicYear } = PP;
  let ctx = null, run = null, settings = {}, settingList = [];

  function settingName(id) { return id ? (settings[id] ? `${settings[id].name} (${id})` : id) : "—"; }

  function preferenceNotMet(d) { return d.requests && d.requests.length > 0 && d.preference_rank === null; }

  function render() {
    const r = run.result, s = r.statistics;
    document.getElementById("round-info").textContent =
      `Round for ${academicYear(r.academic_year)} · run ${run.id.slice(0, 8)} · ${s.status} · ${num(s.wall_seconds, 1)} s`;
    const decisions = r.decisions;
    const pinned = decisions.filter(d => d.pinned).length;
    const prefs = decisions.filter(d => d.requests && d.requests.length);
    const met = prefs.filter(d => d.preference_rank !== null).length;
    const cards = [["Learners in the round", num(s.learners), ""], ["Placed", num(s.placed), ""],
      ["Unplaced", num(s.unplaced), s.unplaced ? "bad" : ""],
      ["Preference met", `${num(met)} of ${num(prefs.length)}`, met < prefs.length ? "warn" : ""],
      ["Pinned placements", num(pinned), ""], ["Over capacity (pinned)", num(decisions.filter(d => d.over_capacity).length), ""]];
    document.getElementById("round-kpis").innerHTML = cards.map(([l, v, c]) =>
      `<div class="kpi ${c}"><span class="label">${esc(l)}</span><span class="value">${esc(v)}</span></div>`).join("");
    drawTable();
  }

  function visible() {
    const filter = document.getElementById("filter").value;
    const search = document.getElementById("search").value.trim().toUpperCase();
    return run.result.decisions.filter(d =>
      (filter === "all" || (filter === "unplaced" && d.setting_id === null) || (filter === "preference" && preferenceNotMet(d)) ||
        (filter === "pinned" && d.pinned)) && (!search || d.learner_id.toUpperCase().includes(search)));
  }

  function drawTable() {
    const rows = visible();
    document.getElementById("shown-count").textContent = `${num(rows.length)} shown`;
    const shown = rows.slice(0, 400);
    table("decisions", [
      { key: "learner_id", label: "Learner", format: v => `<button type="button" class="small secondary pick" data-id="${esc(v)}" aria-label="Open learner ${esc(v)}">${esc(v)}</button>` },
      { key: "setting_id", label: "Proposed setting", format: (v, d) => v ? esc(settingName(v)) : `<span class="tag bad">unplaced</span> ${esc(d.unplaced_reason || "")}` },
      { key: "reason", label: "Reason", format: (v, d) => esc(v) + (d.pinned ? ' <span class="tag pin">pinned</span>' : "") +
        (preferenceNotMet(d) ? ' <span class="tag warn">preference not met</span>' : "") + (d.over_capacity ? ' <span class="tag bad">over capacity</span>' : "") },
      { key: "preference_rank", label: "Choice met", numeric: true, format: v => v === null ? "—" : num(v) },
      { key: "travel_minutes", label: "Journey (min)", numeric: true, format: v => num(v) },
      { key: "cost", label: "Cost a year", numeric: true, format: money },
    ], shown, { caption: rows.length > shown.length ? `First ${shown.length} of ${rows.length} proposals` : `${rows.length} proposal${rows.length === 1 ? "" : "s"}`, id: "decision-table" });
    for (const b of document.querySelectorAll("#decisions .pick")) b.onclick = () => { document.getElementById("learner-id").value = b.dataset.id; showLearner(); };
  }

  async function runRound() {
    const params = { round_year: Number(document.getElementById("round-year").value),
      time_limit_seconds: Number(document.getElementById("round-time").value) };
    const button = document.getElementById("run-round");
    button.disabled = true;
    try {
      status("Running the placement round…");
      run = await runAndWait({ kind: "placement", instance_id: ctx.instanceId, parameters: params }, "round-progress");
      render();
      status(`Placement round finished: ${run.result.statistics.placed} placed, ${run.result.statistics.unplaced} unplaced.`, "ok");
    } catch (e) { status(e.message, "error"); } finally { button.disabled = false; }
  }

  async function showLearner() {
    const id = document.getElementById("learner-id").value.trim();
    const n = Number(document.getElementById("best-n").value) || 5;
    const box = document.getElementById("learner-detail");
    let learner;
    try { learner = await api(`instances/${ctx.instanceId}/learners/${encodeURIComponent(id)}`); }
    catch (e) { box.innerHTML = `<p class="error">${esc(e.message)}</p>`; document.getElementById("pin-form").hidden = true; return; }
    const decision = run ? run.result.decisions.find(d => d.learner_id === id) : null;
    const year = run ? run.result.academic_year : ctx.instance.base_year + 1;
    const ncy = learner.ncy === null ? null : learner.ncy + (year - ctx.instance.base_year);
    let options = [], optionsError = "";
    if (run && decision) {
      try { options = (await api(`placements/${run.id}/learners/${encodeURIComponent(id)}/options?n=${n}`)).items; }
      catch (e) { optionsError = e.message; }
    } else { optionsError = "Run a placement round that includes this learner to see the best settings."; }
    box.innerHTML = `<div class="card"><h3>Learner ${esc(id)}</h3>
      <p>Need ${esc(learner.primary_need)}${learner.secondary_need ? " / " + esc(learner.secondary_need) : ""} · NCY ${esc(learner.ncy)} now${ncy !== null ? `, ${ncy} in ${academicYear(year)}` : ""} ·
      currently at ${esc(settingName(learner.current_setting_id))} · pinned: ${esc(settingName(learner.pinned_setting_id))}</p>
      <p>Proposal: <strong>${decision ? (decision.setting_id ? esc(settingName(decision.setting_id)) : "unplaced") : "not in this round"}</strong>
      ${decision ? "— " + esc(decision.reason) : ""}</p>
      ${decision && decision.requests.length ? "<h4>Requested settings</h4><ul>" + decision.requests.map(q => `<li>${q.rank}. ${esc(settingName(q.setting_id))}: ${esc(q.outcome.replace(/_/g, " ").toLowerCase())}${q.detail ? " — " + esc(q.detail) : ""}</li>`).join("") + "</ul>" : ""}
      <h4>Best ${n} suitable settings</h4>${optionsError ? `<p class="error">${esc(optionsError)}</p>` : ""}<div id="best-settings"></div>
      <p class="muted">Eligible settings against this plan (need, year group, open, within the journey limit): those with a free place first, then by preference, least restrictive setting, travel and cost.</p></div>`;
    table("best-settings", [{ key: "name", label: "Setting", format: (v, o) => esc(v || settingName(o.setting_id)) }, { key: "kind", label: "Kind" },
      { key: "distance_km", label: "Distance (km)", numeric: true, format: v => num(v, 1) },
      { key: "free_places", label: "Free places before round", numeric: true, format: v => num(v) },
      { key: "requested", label: "Requested (rank)", numeric: true, format: v => v ? num(v) : "—" }], options, { caption: `Best settings for ${id}`, id: "best-table" });
    const pinSelect = document.getElementById("pin-setting");
    const choices = options.map(o => o.setting_id).concat(settingList.map(s => s.id).filter(x => !options.some(o => o.setting_id === x)));
    pinSelect.innerHTML = choices.map(sid => `<option value="${esc(sid)}">${esc(settingName(sid))}</option>`).join("");
    document.getElementById("pin-form").hidden = false;
    document.getElementById("pin-form").dataset.learner = id;
    document.getElementById("unpin-btn").disabled = !learner.pinned_setting_id;
  }

  async function pin(settingId) {
    const id = document.getElementById("pin-form").dataset.learner;
    try {
      await api(`instances/${ctx.instanceId}/learners/${encodeURIComponent(id)}`, { method: "PATCH", json: { pinned_setting_id: settingId } });
      status(settingId ? `Pinned ${id} to ${settingName(settingId)}; re-running…` : `Unpinned ${id}; re-running…`);
      await runRound();
      await showLearner();
    } catch (e) { status("Could not change the pin: " + e.message, "error"); }
  }

  function exportCsv() {
    const rows = visible().map(d => ({ learner_id: d.learner_id, setting_id: d.setting_id, setting_name: d.setting_id ? (settings[d.setting_id] || {}).name : "",
      pinned: d.pinned, preference_rank: d.preference_rank, travel_minutes: d.travel_minutes, cost: d.cost, unplaced_reason: d.unplaced_reason, reason: d.reason }));
    PP.download(`placements-${run.result.academic_year}-${run.id.slice(0, 8)}.csv`,
      PP.csv(["learner_id", "setting_id", "setting_name", "pinned", "preference_rank", "travel_minutes", "cost", "unplaced_reason", "reason"], rows));
  }

  PP.onReady(async (c) => {
    ctx = c;
    settingList = await PP.allPages(`instances/${ctx.instanceId}/settings`);
    settingList.sort((a, b) => a.name.localeCompare(b.name));
    settings = Object.fromEntries(settingList.map(s => [s.id, s]));
    document.getElementById("round-year").value = ctx.instance.base_year + 1;
    document.getElementById("round-form").addEventListener("submit", e => { e.preventDefault(); runRound(); });
    document.getElementById("filter").onchange = () => run && drawTable();
    document.getElementById("search").oninput = () => run && drawTable();
    document.getElementById("export").onclick = () => run && exportCsv();
    document.getElementById("learner-form").addEventListener("submit", e => { e.preventDefault(); showLearner(); });
    document.getElementById("pin-form").addEventListener("submit", e => { e.preventDefault(); pin(document.getElementById("pin-setting").value); });
    document.getElementById("unpin-btn").onclick = () => pin(null);
    run = await latestRun("placement", { instance_id: ctx.instanceId });
    if (run) render(); else document.getElementById("decisions").innerHTML = "<p>No placement round has been run for this council yet: run one above.</p>";
  });
})();
