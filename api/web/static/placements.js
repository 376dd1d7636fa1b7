/* Placements (officers): run a round, review proposals and reasons, filter, pin/unpin and re-run, best-N, export.
   The learner panel shows the whole explanation (proposal, requests with their s39(4) grounds, best settings) and
   is built from DOM nodes: every inserted text is a text node. */
"use strict";
(function () {
  const { api, esc, num, money, table, runAndWait, latestRun, status, academicYear } = PP;
  let ctx = null, run = null, settings = {}, settingList = [];
  let shownToken = 0; // the newest learner asked for: answers for an older one are dropped

  /* Words for the API's codes (the codes stay visible next to them for the record). */
  const OUTCOME_WORDS = {
    NAMED: "named: this setting is proposed",
    EARLIER_CHOICE_NAMED: "not needed: an earlier choice is named",
    UNSUITABLE: "refused: unsuitable",
    TOO_FAR: "refused: the journey is over the limit",
    FULL: "refused: its places went to others",
    OTHER_RULE: "not named: a higher rule (for example keeping siblings together)",
  };
  // Children and Families Act 2014 s39(4): the only grounds on which a requested setting may be refused.
  const GROUND_WORDS = {
    UNSUITABLE: "unsuitable for the child's age, ability, aptitude or special educational needs (s39(4)(a))",
    EFFICIENT_EDUCATION_OF_OTHERS: "incompatible with the efficient education of others (s39(4)(b)(i))",
    EFFICIENT_USE_OF_RESOURCES: "incompatible with the efficient use of resources (s39(4)(b)(ii))",
  };
  const UNPLACED_WORDS = {
    NO_DESIGNATED_SETTING: "no open setting can meet the need at this age",
    NO_SETTING_OF_PLAN_TYPE: "no setting of the type the plan names can take them: review the plan's type of provision or its acceptable types",
    TOO_FAR: "every suitable setting is beyond the journey limit",
    ALL_FULL: "every suitable setting in reach is full",
    SIBLING_GROUP: "could be placed alone, but not together with the sibling group",
  };
  const CODE_WORDS = {
    CLOSED: "not open that year", AGE_RANGE: "does not take the year group", NOT_DESIGNATED: "cannot meet the primary need",
    PRU_NOT_FLAGGED: "a PRU only for learners excluded or at risk of exclusion", TOO_FAR: "journey over the limit",
    TYPE_NOT_IN_PLAN: "not a type of provision the plan allows", SINGLE_SEX: "a single-sex school for the other sex",
    SELECTIVE_NOT_REQUESTED: "a grammar school the family did not request",
    INDEPENDENT_NOT_REQUESTED: "an independent school the family did not request",
    RESIDENTIAL_NOT_IN_PLAN: "a boarding school and the plan names no residential place", FULL: "no free place left",
    PROPOSED: "the plan's proposal",
  };
  const TYPE_WORDS = {
    mainstream: "mainstream school", resourced_provision: "mainstream school with resourced provision", sen_unit: "SEN unit",
    special: "special school", independent_special: "independent or non-maintained special school",
    ap_pru: "alternative provision or pupil referral unit", fe_college: "further education college",
    specialist_post16: "special post-16 institution", supported_internship: "supported internship",
    apprenticeship: "apprenticeship", other_route: "another route (no school or college place)",
  };
  const KIND_WORDS = {
    mainstream: "mainstream", resourced_provision: "resourced provision", sen_unit: "SEN unit", special: "special school",
    semh_special: "SEMH special school", pru_ap: "PRU / AP", independent_special: "independent special school",
    post16_specialist: "special post-16 institution", fe_college: "FE college",
  };
  // The type of provision each kind of setting is (planner.domain.codes.PROVISION_OF_KIND), and the post-16
  // equivalents (POST16_EQUIVALENTS): used only for a learner the round has no explanation for.
  const TYPE_OF_KIND = {
    mainstream: "mainstream", resourced_provision: "resourced_provision", sen_unit: "sen_unit", special: "special",
    semh_special: "special", independent_special: "independent_special", pru_ap: "ap_pru", fe_college: "fe_college",
    post16_specialist: "specialist_post16",
  };
  const POST16_EQUIVALENTS = {
    mainstream: ["fe_college"], resourced_provision: ["fe_college"], sen_unit: ["fe_college"],
    special: ["specialist_post16"], independent_special: ["specialist_post16"], fe_college: ["mainstream"],
    specialist_post16: ["special"],
  };
  const FIRST_POST16_NCY = 12;

  /* A DOM element; every text goes in as a text node (never parsed as HTML). */
  function el(name, attrs, ...children) {
    const node = document.createElement(name);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v; else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  function tag(text, kind) { return el("span", { class: `tag ${kind}` }, text); }
  function words(map, code) { return map[code] || String(code || "").replace(/_/g, " ").toLowerCase(); }
  function codesInWords(text) {
    // "NOT_DESIGNATED, TOO_FAR" -> "cannot meet the primary need (NOT_DESIGNATED); journey over the limit (TOO_FAR)"
    if (!/^[A-Z_]+(, [A-Z_]+)*$/.test(text || "")) return text || "";
    return text.split(", ").map(c => CODE_WORDS[c] ? `${CODE_WORDS[c]} (${c})` : c).join("; ");
  }
  function typesInWords(types) {
    if (types === null || types === undefined) return "any type (the plan names none)";
    if (!types.length) return "none";
    const list = types.map(t => words(TYPE_WORDS, t));
    return list.length === 1 ? list[0] : `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;
  }
  /* A table built from DOM nodes: columns [{label, value(row) -> text or Node, numeric?}]. */
  function domTable(columns, rows, caption, id, rowClass) {
    const head = el("tr", {}, columns.map(c => el("th", { scope: "col", class: c.numeric ? "num" : null }, c.label)));
    const body = rows.map(r => el("tr", { class: rowClass ? rowClass(r) : null },
      columns.map(c => el("td", { class: c.numeric ? "num" : null }, c.value(r)))));
    return el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
      el("table", { id }, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, body)));
  }

  function settingName(id) { return id ? (settings[id] ? `${settings[id].name} (${id})` : id) : "—"; }

  function preferenceNotMet(d) { return d.requests && d.requests.length > 0 && d.preference_rank === null; }

  function render(resetPage) {
    const r = run.result, s = r.statistics;
    document.getElementById("round-info").textContent =
      `Round for ${academicYear(r.academic_year)} · run ${run.id.slice(0, 8)} · ${PP.label("status", s.status)} · ${num(s.wall_seconds, 1)} s`;
    const decisions = r.decisions;
    const pinned = decisions.filter(d => d.pinned).length;
    const prefs = decisions.filter(d => d.requests && d.requests.length);
    const met = prefs.filter(d => d.preference_rank !== null).length;
    const cards = [["Learners in the round", num(s.learners), ""], ["Placed", num(s.placed), ""],
      ["Unplaced", num(s.unplaced), s.unplaced ? "bad" : ""],
      ["Preference met", `${num(met)} of ${num(prefs.length)}`, met < prefs.length ? "warn" : ""],
      ["Pinned placements", num(pinned), ""], ["Over capacity (pinned)", num(decisions.filter(d => d.over_capacity).length), ""]];
    document.getElementById("round-kpis").replaceChildren(...cards.map(([l, v, c]) =>
      el("div", { class: `kpi ${c}`.trim() }, el("span", { class: "label" }, l), el("span", { class: "value" }, v))));
    drawTable(resetPage);
  }

  function visible() {
    const filter = document.getElementById("filter").value;
    const search = document.getElementById("search").value.trim().toUpperCase();
    return run.result.decisions.filter(d =>
      (filter === "all" || (filter === "unplaced" && d.setting_id === null) || (filter === "preference" && preferenceNotMet(d)) ||
        (filter === "pinned" && d.pinned)) && (!search || d.learner_id.toUpperCase().includes(search)));
  }

  /* The proposals a page at a time (every learner reachable, no row cap); a new filter or search starts at row 1. */
  function drawTable(resetPage) {
    const rows = visible();
    document.getElementById("shown-count").textContent = `${num(rows.length)} shown`;
    PP.pagedTable("decisions", [
      { key: "learner_id", label: "Learner", format: v => `<button type="button" class="small secondary pick" data-id="${esc(v)}" aria-controls="learner-detail" aria-label="Open learner ${esc(v)}">${esc(v)}</button>` },
      { key: "setting_id", label: "Proposed setting", format: (v, d) => v ? esc(settingName(v)) : `<span class="tag bad">unplaced</span> ${esc(d.unplaced_reason ? words(UNPLACED_WORDS, d.unplaced_reason) : "")}` },
      { key: "reason", label: "Reason", format: (v, d) => esc(v) + (d.pinned ? ' <span class="tag pin">pinned</span>' : "") +
        (preferenceNotMet(d) ? ' <span class="tag warn">preference not met</span>' : "") + (d.over_capacity ? ' <span class="tag bad">over capacity</span>' : "") },
      { key: "preference_rank", label: "Choice met", numeric: true, format: (v, d) => esc(preferenceText(d)) },
      { key: "travel_minutes", label: "Journey (min)", numeric: true, format: v => num(v) },
      { key: "cost", label: "Cost a year", numeric: true, format: PP.pounds },
    ], rows, { caption: `${num(rows.length)} proposal${rows.length === 1 ? "" : "s"}`, pagerLabel: "proposals", id: "decision-table", resetPage });
  }

  /* Whether the family's preference was met, in words: a choice rank, "not met", or "nothing requested" (never blank). */
  function preferenceText(d) {
    if (!d.requests || !d.requests.length) return "nothing requested";
    return d.preference_rank === null || d.preference_rank === undefined ? "not met" : `choice ${d.preference_rank}`;
  }

  /* A round far from the council's data: the learners are those on record, aged on, with no new plans and no leavers,
     so a round years ahead is a sketch. The usual round is for the coming September (base year + 1). */
  function farYearWarning(year) {
    const base = ctx.instance.base_year;
    if (year >= base && year <= base + 1) return null;
    const gap = year - base;
    return `${academicYear(year)} is ${Math.abs(gap)} year${Math.abs(gap) === 1 ? "" : "s"} ${gap > 0 ? "after" : "before"} the council's data ` +
      `(${academicYear(base)}). The round places the learners on record as they would be then (ages moved on, no new plans, ` +
      `no leavers), so it is a rough sketch, not next September's round (${academicYear(base + 1)}). ` +
      `Press “Run placement round” again to run it anyway.`;
  }

  async function runRound(fromForm) {
    const params = { round_year: Number(document.getElementById("round-year").value),
      time_limit_seconds: Number(document.getElementById("round-time").value) };
    const button = document.getElementById("run-round");
    const warning = document.getElementById("round-warning");
    const far = farYearWarning(params.round_year);
    if (fromForm && far && warning.dataset.year !== String(params.round_year)) {
      warning.textContent = far; warning.hidden = false; warning.dataset.year = String(params.round_year);
      return;
    }
    warning.hidden = !far;
    button.disabled = true;
    try {
      status("Running the placement round…");
      run = await runAndWait({ kind: "placement", instance_id: ctx.instanceId, parameters: params }, "round-progress");
      render(fromForm);
      status(`Placement round finished: ${run.result.statistics.placed} placed, ${run.result.statistics.unplaced} unplaced.`, "ok");
    } catch (e) { status(e.message, "error"); } finally {
      button.disabled = false;
      // The button was disabled while the round ran, which drops focus to the page: give it back.
      if (fromForm && (document.activeElement === document.body || document.activeElement === null)) button.focus();
    }
  }

  /* The learner panel: the whole explanation for one learner, then the pin form. `focus`: bring the panel into
     view and move focus to it (a learner was just chosen); a re-run after a pin leaves focus where it is. */
  async function showLearner(focus) {
    const id = document.getElementById("learner-id").value.trim();
    if (!id) return;
    const n = Number(document.getElementById("best-n").value) || 5;
    const token = ++shownToken;
    const panel = document.getElementById("learner-detail"), body = document.getElementById("learner-body");
    const pinForm = document.getElementById("pin-form");
    panel.hidden = false;
    panel.dataset.learner = id;
    panel.setAttribute("aria-busy", "true");
    delete panel.dataset.ready;
    body.replaceChildren(el("h3", { id: "learner-panel-h" }, `Learner ${id}`), el("p", { class: "muted" }, "Loading…"));
    pinForm.hidden = true;
    document.getElementById("pin-note").textContent = "";
    if (focus) bringIntoView(panel);

    const decision = run ? run.result.decisions.find(d => d.learner_id === id) : null;
    const path = run && decision ? `placements/${run.id}/learners/${encodeURIComponent(id)}` : null;
    const [learner, detail, options] = await Promise.allSettled([
      api(`instances/${ctx.instanceId}/learners/${encodeURIComponent(id)}`),
      path ? api(`${path}?n=${n}`) : Promise.reject(new Error("not in this round")),
      path ? api(`${path}/options?n=${n}`) : Promise.reject(new Error("not in this round")),
    ]);
    if (token !== shownToken) return; // another learner was chosen meanwhile
    panel.removeAttribute("aria-busy");
    if (learner.status === "rejected") {
      body.replaceChildren(el("h3", { id: "learner-panel-h" }, `Learner ${id}`), el("p", { class: "error" }, learner.reason.message));
      panel.dataset.ready = "true";
      if (focus) bringIntoView(panel);
      return;
    }
    const rec = learner.value;
    const year = run ? run.result.academic_year : ctx.instance.base_year + 1;
    const ncy = rec.ncy === null ? null : rec.ncy + (year - ctx.instance.base_year);
    const parts = [el("h3", { id: "learner-panel-h" }, `Learner ${id}`),
      el("p", {}, `Need ${PP.needLabel(rec.primary_need)}${rec.secondary_need ? " / " + PP.needLabel(rec.secondary_need) : ""} · NCY ${rec.ncy === null ? "—" : rec.ncy} now` +
        `${ncy !== null ? `, ${ncy} in ${academicYear(year)}` : ""} · currently at ${settingName(rec.current_setting_id)} · ` +
        `pinned: ${settingName(rec.pinned_setting_id)}`)];

    let planTypes, pinChoices, pinHint;
    if (detail.status === "fulfilled") {
      const d = detail.value;
      parts.push(...proposalPart(d), ...typesPart(d.plan_types), ...requestsPart(d.requests));
      planTypes = d.plan_types;
      ({ choices: pinChoices, hint: pinHint } = pinFromExplanation(d, options.status === "fulfilled" ? options.value.items : []));
    } else {
      parts.push(el("h4", {}, "Proposal"), el("p", {}, decision ? "The explanation could not be loaded: " + detail.reason.message
        : "Not in this round: run a placement round that includes this learner to see the proposal, the requests and the best settings."));
      planTypes = recordTypes(rec, ncy);
      parts.push(...typesPart(planTypes, "from the learner's record"));
      ({ choices: pinChoices, hint: pinHint } = pinFromRecord(planTypes, year));
    }
    parts.push(...optionsPart(options, n, decision));
    body.replaceChildren(...parts);
    PP.focusWhenScrolling(body); // tables that fit are no Tab stop: the pin form is the next Tab from the panel
    fillPin(pinChoices, pinHint, rec);
    pinForm.dataset.learner = id;
    pinForm.hidden = false;
    panel.dataset.ready = "true";
    // Focus again only if it has not moved on meanwhile (it stays on the panel, whose content was replaced).
    if (focus && (document.activeElement === panel || document.activeElement === document.body)) bringIntoView(panel);
  }

  function bringIntoView(panel) {
    // Instant scroll (no animation), then focus without a second jump: the panel is a labelled region.
    panel.scrollIntoView({ block: "start" });
    panel.focus({ preventScroll: true });
  }

  function proposalPart(d) {
    const out = [el("h4", {}, "Proposal")];
    if (d.chosen) {
      out.push(el("p", { id: "proposal" }, el("strong", {}, settingName(d.chosen.setting_id)),
        ` · ${words(KIND_WORDS, d.chosen.kind)} · journey ${num(d.chosen.travel_minutes)} min`,
        d.pinned ? [" ", tag("pinned", "pin")] : null, d.over_capacity ? [" ", tag("over capacity", "bad")] : null,
        d.preference_rank ? [" ", tag(`choice ${d.preference_rank} met`, "good")] : null));
    } else {
      out.push(el("p", { id: "proposal" }, tag("unplaced", "bad"), " ",
        d.unplaced_reason ? `${words(UNPLACED_WORDS, d.unplaced_reason)} (${d.unplaced_reason})` : ""));
    }
    if (d.step_down) {
      out.push(el("p", { class: "flag", id: "step-down" }, el("strong", {}, "Step down from specialist to mainstream: review"),
        " — the learner is in specialist provision now and a mainstream setting is proposed."));
    }
    out.push(el("p", { class: "muted" }, d.reason));
    return out;
  }

  function typesPart(types, source) {
    return [el("h4", {}, "Types of provision the plan allows"),
      el("p", { id: "plan-types" }, typesInWords(types), source ? el("span", { class: "muted" }, ` (${source})`) : null)];
  }

  function requestsPart(requests) {
    const out = [el("h4", {}, "Requested settings")];
    if (!requests.length) { out.push(el("p", {}, "The family requested no setting.")); return out; }
    out.push(domTable([
      { label: "Choice", numeric: true, value: q => num(q.rank) },
      { label: "Setting", value: q => q.setting_name ? `${q.setting_name} (${q.setting_id})` : settingName(q.setting_id) },
      { label: "Outcome", value: q => words(OUTCOME_WORDS, q.outcome) },
      { label: "Lawful ground", value: q => q.ground ? words(GROUND_WORDS, q.ground) : "—" },
      { label: "The numbers", value: q => codesInWords(q.detail) || "—" },
    ], requests, "Each request, its outcome and, when refused, its ground under the Children and Families Act 2014 s39(4)",
    "request-table", q => q.ground ? "row-refused" : null));
    return out;
  }

  function optionsPart(options, n, decision) {
    const out = [el("h4", {}, `Best ${n} settings`)];
    if (options.status === "rejected") {
      out.push(el("p", { class: decision ? "error" : "muted" }, decision ? options.reason.message
        : "Run a placement round that includes this learner to see the best settings."));
      return out;
    }
    const items = options.value.items;
    if (!items.length) { out.push(el("p", {}, "No setting can take this learner (need, year group, open, journey limit, type of provision).")); return out; }
    out.push(domTable([
      { label: "Setting", value: o => [o.proposed ? [tag("proposal", "good"), " "] : null, `${o.name} (${o.setting_id})`] },
      { label: "Kind", value: o => words(KIND_WORDS, o.kind) },
      { label: "Journey (min)", numeric: true, value: o => num(o.travel_minutes) },
      { label: "Free places left", numeric: true, value: o => num(o.spare_places) },
      { label: "Requested (choice)", numeric: true, value: o => o.requested ? num(o.requested) : "—" },
      { label: "Note", value: o => o.proposed ? "the plan's proposal"
        : o.spare_places <= 0 ? (o.would_displace.length ? `full: would displace ${o.would_displace.join(", ")}` : "full: nobody it could displace")
          : codesInWords(o.detail) },
    ], items, `Best settings for ${options.value.learner_id}: ${items.some(o => o.proposed) ? "the proposal first, then " : ""}settings with a free place, then full ones`, "best-table",
    o => o.proposed ? "row-proposed" : null));
    out.push(el("p", { class: "muted" }, "Eligible settings against this plan (need, year group, open, within the journey limit, of the plan's type): those with a free place first, then by preference, least restrictive setting, travel and cost. A full setting names the learner in this round it would displace."));
    return out;
  }

  function allowedKind(kind, types) { return types === null || types === undefined || types.includes(TYPE_OF_KIND[kind]); }

  /* Pin choices from the round's explanation: only settings of the plan's type that can take the learner (a pin
     to a setting the learner is not eligible for would make the whole round infeasible). The best options first. */
  function pinFromExplanation(d, items) {
    const ok = (sid, kind, reasons) => !(reasons || []).includes("TYPE_NOT_IN_PLAN") && allowedKind(kind, d.plan_types);
    const best = items.filter(o => o.eligible && ok(o.setting_id, o.kind, o.reasons)).map(o => o.setting_id);
    if (d.chosen && !best.includes(d.chosen.setting_id) && ok(d.chosen.setting_id, d.chosen.kind, [])) best.unshift(d.chosen.setting_id);
    const others = d.alternatives.filter(a => a.eligible && ok(a.setting_id, a.kind, a.reasons) && !best.includes(a.setting_id))
      .sort((a, b) => a.travel_minutes - b.travel_minutes || a.setting_id.localeCompare(b.setting_id)).map(a => a.setting_id);
    return { choices: [["Best settings", best], ["Other settings of the plan's type", others]],
      hint: d.plan_types === null || d.plan_types === undefined
        ? "The plan names no type of provision: every setting that can take this learner is offered."
        : `Only settings of the types the plan allows (${typesInWords(d.plan_types)}) that can take this learner are offered.` };
  }

  /* A learner the round has no explanation for: the plan's types from their record (Learner.plan_types). */
  function recordTypes(rec, ncy) {
    const current = settings[rec.current_setting_id];
    let base = rec.provision_type;
    if (!base && current && current.kind !== "pru_ap") base = TYPE_OF_KIND[current.kind];
    const acceptable = rec.acceptable_types || [];
    if (!base) return acceptable.length ? [...acceptable].sort() : null;
    const types = new Set([base, ...acceptable]);
    if (ncy !== null && ncy >= FIRST_POST16_NCY) for (const t of POST16_EQUIVALENTS[base] || []) types.add(t);
    return [...types].sort();
  }

  function pinFromRecord(types, year) {
    const ids = settingList.filter(s => allowedKind(s.kind, types) && PP.isOpenIn(s, year)).map(s => s.id);
    return { choices: [["Settings of the plan's type", ids]],
      hint: `Not in this round, so not checked against this learner's need, year group or journey: ${types ? `settings of the types the plan allows (${typesInWords(types)})` : "every open setting (the plan names no type)"}. A pin the learner is not eligible for makes the whole round infeasible.` };
  }

  function fillPin(groups, hint, rec) {
    const select = document.getElementById("pin-setting");
    const nodes = groups.filter(([, ids]) => ids.length).map(([label, ids]) =>
      el("optgroup", { label }, ids.map(sid => el("option", { value: sid, "data-kind": (settings[sid] || {}).kind || "" }, settingName(sid)))));
    select.replaceChildren(...nodes);
    const any = nodes.length > 0;
    if (any && rec.pinned_setting_id && select.querySelector(`option[value="${CSS.escape(rec.pinned_setting_id)}"]`)) select.value = rec.pinned_setting_id;
    select.disabled = !any;
    document.getElementById("pin-btn").disabled = !any;
    document.getElementById("unpin-btn").disabled = !rec.pinned_setting_id;
    document.getElementById("pin-note").textContent = any ? hint
      : "No setting of the type the plan allows can take this learner, so there is nothing to pin: review the plan's type of provision or its acceptable types.";
  }

  function backToList() {
    const id = document.getElementById("learner-detail").dataset.learner;
    const button = [...document.querySelectorAll("#decisions .pick")].find(b => b.dataset.id === id);
    const target = button || document.querySelector("#decisions .table-wrap") || document.getElementById("search");
    target.focus();
  }

  async function pin(settingId) {
    const id = document.getElementById("pin-form").dataset.learner;
    try {
      await api(`instances/${ctx.instanceId}/learners/${encodeURIComponent(id)}`, { method: "PATCH", json: { pinned_setting_id: settingId } });
      status(settingId ? `Pinned ${id} to ${settingName(settingId)}; re-running…` : `Unpinned ${id}; re-running…`);
      await runRound();
      await showLearner(false);
    } catch (e) { status("Could not change the pin: " + e.message, "error"); }
  }

  function exportCsv() {
    const rows = visible().map(d => ({ learner_id: d.learner_id, setting_id: d.setting_id, setting_name: d.setting_id ? (settings[d.setting_id] || {}).name : "",
      pinned: d.pinned, preference_met: preferenceText(d), travel_minutes: d.travel_minutes, cost: d.cost, unplaced_reason: d.unplaced_reason, reason: d.reason }));
    PP.download(`placements-${run.result.academic_year}-${run.id.slice(0, 8)}.csv`,
      PP.csv(["learner_id", "setting_id", "setting_name", "pinned", "preference_met", "travel_minutes", "cost", "unplaced_reason", "reason"], rows));
  }

  PP.onReady(async (c) => {
    ctx = c;
    settingList = await PP.allPages(`instances/${ctx.instanceId}/settings`);
    settingList.sort((a, b) => a.name.localeCompare(b.name));
    settings = Object.fromEntries(settingList.map(s => [s.id, s]));
    document.getElementById("round-year").value = ctx.instance.base_year + 1;
    document.getElementById("round-form").addEventListener("submit", e => { e.preventDefault(); runRound(true); });
    document.getElementById("round-year").addEventListener("input", () => { document.getElementById("round-warning").hidden = true; });
    document.getElementById("filter").addEventListener("change", () => run && drawTable(true));
    document.getElementById("search").addEventListener("input", () => run && drawTable(true));
    document.getElementById("export").addEventListener("click", () => run && exportCsv());
    document.getElementById("learner-form").addEventListener("submit", e => { e.preventDefault(); showLearner(true); });
    document.getElementById("decisions").addEventListener("click", e => {
      const button = e.target.closest("button.pick");
      if (!button) return;
      document.getElementById("learner-id").value = button.dataset.id;
      showLearner(true);
    });
    document.getElementById("back-to-list").addEventListener("click", backToList);
    window.addEventListener("resize", () => PP.focusWhenScrolling(document.getElementById("learner-body")));
    document.getElementById("pin-form").addEventListener("submit", e => { e.preventDefault(); pin(document.getElementById("pin-setting").value); });
    document.getElementById("unpin-btn").addEventListener("click", () => pin(null));
    run = await latestRun("placement", { instance_id: ctx.instanceId });
    if (run) render(); else document.getElementById("decisions").replaceChildren(
      el("p", {}, "No placement round has been run for this council yet: run one above."));
  });
})();
