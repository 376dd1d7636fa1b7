"""Individual placement matching: propose a setting for every learner in a round, exactly and with reasons.

Hard rules: the setting can meet the need, takes the learner's NCY, is open, has a place (overall and per phase),
is within the journey limit, is a PRU only for learners excluded or at risk; pinned placements are kept; flagged
siblings are placed together. Objective (lexicographic, configurable): place as many as possible, then the
family's requested setting, then the least restrictive suitable setting, then travel, then cost.

Method: min-cost flow for the transportation core (`placement_flow`), CP-SAT only for sibling groups the flow
splits (`placement_siblings`). Pinned placements are taken out of the optimisation first: a named placement
must be admitted even when the setting is full (capacity is soft for it, DOMAIN.md), so a pin consumes a free
place when there is one and is flagged `over_capacity` when there is none.
"""

from __future__ import annotations

import resource
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.domain.codes import Phase, SettingKind, phase_of_ncy
from planner.domain.models import Instance
from planner.placement.eligibility import EligibilityMatrix, ExclusionReason, compute_eligibility, round_minutes
from planner.placement.flow import FlowNetwork, solve_lexicographic
from planner.placement.objective import (
    Stage,
    annual_cost_gbp,
    pack_stages,
    preference_value,
    rule_values,
    setting_cost_units,
)
from planner.placement.params import ObjectiveRule, PlacementParameters
from planner.placement.plan import (
    PlacementDecision,
    PlacementPlan,
    PlacementStatistics,
    ProposalChange,
    RefusalGround,
    RequestOutcome,
    RequestResult,
    UnplacedReason,
)
from planner.placement.round import PlacementRound, select_round
from planner.placement.siblings import chosen_arcs, pins_with_siblings, solve_with_siblings
from planner.solving.progress import NullProgress, Progress, RunCancelled


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _check_stop(progress: Progress) -> None:
    if progress.should_stop():
        raise RunCancelled("placement cancelled")


class _Network:
    """The flow network over placement units (a learner, or a sibling group that moves as one).

    Arc costs are per unit of flow: a group's arc carries all its members, so its per-member cost is the members'
    total times `scale` / size (scale is a common multiple of group sizes, keeping every cost an integer).
    """

    def __init__(self, units: list[list[int]], eligible: NDArray[np.bool_], unit_phase: list[Phase],
                 setting_ids: tuple[str, ...], free: dict[str, int], free_phase: dict[tuple[str, Phase], int]):
        n = len(units)
        m = len(setting_ids)
        sizes = np.array([len(u) for u in units], dtype=np.int64)
        arc_unit, arc_col = np.nonzero(eligible)
        arc_unit = arc_unit.astype(np.int64)
        arc_col = arc_col.astype(np.int64)
        # Every learner may also be left unplaced: shortfall is an answer, with a penalty on the first rule.
        self.arc_unit = np.concatenate([arc_unit, np.arange(n, dtype=np.int64)])
        self.arc_col = np.concatenate([arc_col, np.full(n, -1, dtype=np.int64)])
        self.sizes = sizes
        setting_node = n + np.arange(m, dtype=np.int64)
        next_node = n + m
        phase_index = {p: k for k, p in enumerate(Phase)}
        learner_phase = np.array([phase_index[p] for p in unit_phase], dtype=np.int64)
        phase_node: dict[tuple[int, int], int] = {}
        heads = setting_node[np.where(self.arc_col >= 0, self.arc_col, 0)]
        capped = [(c, phase_index[p]) for c, sid in enumerate(setting_ids) for p in Phase if (sid, p) in free_phase]
        if capped:
            keys = self.arc_col * len(phase_index) + learner_phase[self.arc_unit]
            for col, p in capped:
                phase_node[(col, p)] = next_node
                heads = np.where((self.arc_col >= 0) & (keys == col * len(phase_index) + p), next_node, heads)
                next_node += 1
        unplaced = next_node
        sink = next_node + 1
        heads = np.where(self.arc_col < 0, unplaced, heads)
        tails: list[int] = []
        struct_heads: list[int] = []
        caps: list[int] = []
        phases_list = list(Phase)
        for (col, p), node in phase_node.items():
            # A setting's places for one phase (where the council caps them) cannot be exceeded.
            tails.append(node)
            struct_heads.append(int(setting_node[col]))
            caps.append(free_phase[(setting_ids[col], phases_list[p])])
        for col, sid in enumerate(setting_ids):
            # A setting's free places (capacity net of learners who stay) cannot be exceeded by new placements.
            tails.append(int(setting_node[col]))
            struct_heads.append(sink)
            caps.append(free[sid])
        tails.append(unplaced)
        struct_heads.append(sink)
        caps.append(int(sizes.sum()))
        supplies = np.zeros(sink + 1, dtype=np.int64)
        supplies[:n] = sizes
        supplies[sink] = -int(sizes.sum())
        self.scale = int(np.lcm.reduce(sizes)) if n else 1
        self.flow = FlowNetwork(
            num_learners=n, num_nodes=sink + 1,
            tail=np.concatenate([self.arc_unit, np.array(tails, dtype=np.int64)]),
            head=np.concatenate([heads, np.array(struct_heads, dtype=np.int64)]),
            capacity=np.concatenate([sizes[self.arc_unit], np.array(caps, dtype=np.int64)]),
            num_learner_arcs=len(self.arc_unit), supplies=supplies,
            landing_nodes=len(np.unique(heads)) if len(heads) else 1,
        )


def place(instance: Instance, parameters: PlacementParameters | None = None,
          progress: Progress | None = None) -> PlacementPlan:
    """Propose placements for a round; see the module docstring for the rules and the method."""
    parameters = parameters or PlacementParameters()
    progress = progress or NullProgress()
    started = time.perf_counter()
    progress.report(0.0, "selecting the round")
    round_ = select_round(instance, parameters)
    ids = round_.learner_ids
    elig = compute_eligibility(instance, ids, round_.year, parameters)
    _check_stop(progress)
    progress.report(0.2, f"eligibility: {elig.pair_count} pairs")
    phases = [phase_of_ncy(int(n)) for n in elig.ncy]

    # Pins, and the siblings they bring (same phase, a setting that can take them): see `siblings`.
    pins, infeasible = pins_with_siblings(instance, elig, ids, phases)
    if infeasible:
        stats = PlacementStatistics(status="INFEASIBLE", learners=len(ids), settings=len(instance.settings),
                                    eligible_pairs=elig.pair_count, wall_seconds=time.perf_counter() - started,
                                    peak_rss_mib=peak_rss_mib())
        return PlacementPlan(academic_year=round_.year, statistics=stats, infeasibilities=infeasible,
                             free_capacity=dict(round_.free_capacity))
    free, free_phase, over = _after_pins(round_, pins, ids, phases, elig.setting_ids)

    flow_rows = np.array([r for r in range(len(ids)) if r not in pins], dtype=np.int64)
    eligible = elig.eligible[flow_rows] if len(flow_rows) else np.zeros((0, len(elig.setting_ids)), bool)
    groups = _groups(instance, ids, flow_rows, phases, eligible)
    grouped = {k for g in groups for k in g}
    units = [*groups, *([k] for k in range(len(flow_rows)) if k not in grouped)]
    # Siblings can only share a setting every one of them may attend.
    unit_eligible = np.array([np.logical_and.reduce(eligible[u], axis=0) for u in units], dtype=np.bool_)
    unit_eligible = unit_eligible.reshape(len(units), len(elig.setting_ids))
    net = _Network(units, unit_eligible, [phases[int(flow_rows[u[0]])] for u in units], elig.setting_ids, free,
                   free_phase)
    # Rule values per member, summed per arc, then per unit of flow (x scale / size, exact integers).
    member_arc, member_pos = _member_arcs(units, net.arc_unit)
    member_rows = flow_rows[member_pos]
    member_col = net.arc_col[member_arc]
    safe_col = np.where(member_col >= 0, member_col, 0)
    member_minutes = round_minutes(elig.minutes[member_rows, safe_col]) if len(member_rows) else np.zeros(0, np.int64)
    values = rule_values(instance, parameters, ids, member_rows, member_col, member_minutes)
    per_unit = net.scale // net.sizes[net.arc_unit] if len(net.arc_unit) else np.zeros(0, np.int64)
    level_values = []
    for level in parameters.objective:
        summed = np.bincount(member_arc, weights=values.level(level), minlength=len(net.arc_unit))
        level_values.append(np.rint(summed).astype(np.int64) * per_unit)
    if parameters.combine_levels or groups:
        # Sibling branching prunes on the first stage, so it wants as many levels in it as fit exactly.
        stages = pack_stages(level_values, net.flow.landing_nodes, net.flow.num_nodes, int(net.sizes.sum()))
    else:
        # One exact flow stage per level, each on the optimal face of the levels before: small costs, fast solves.
        stages = [Stage(levels=(k,), weights=(1,)) for k in range(len(level_values))]
    stage_costs = [stage.composite(level_values) for stage in stages]
    build_done = time.perf_counter()
    _check_stop(progress)
    progress.report(0.4, f"solving {len(stages)} flow stage(s)")

    status, gap = "OPTIMAL", 0.0
    cp_free = cp_vars = 0
    used_cpsat = False
    if units:
        relaxed = solve_lexicographic(net.flow, stage_costs)
        _check_stop(progress)
        if groups:
            progress.report(0.6, f"sibling groups: {len(groups)}")
            outcome = solve_with_siblings(
                net.flow, [*stage_costs, np.arange(net.flow.num_learner_arcs, dtype=np.int64)], relaxed,
                seed=parameters.seed, time_limit=parameters.time_limit_seconds, workers=parameters.num_workers,
                progress=progress)
            chosen = outcome.chosen_arc
            status, gap, used_cpsat = outcome.status, outcome.gap, outcome.used_cpsat
            cp_free, cp_vars = outcome.free_learners, outcome.variables
        else:
            chosen = chosen_arcs(net.flow, relaxed.flow)
    else:
        chosen = np.zeros(0, dtype=np.int64)
    solve_done = time.perf_counter()
    progress.report(0.9, "writing decisions")

    assignment: dict[int, int | None] = {}
    for u, members in enumerate(units):
        c = int(net.arc_col[chosen[u]])
        for k in members:
            assignment[int(flow_rows[k])] = c if c >= 0 else None
    for r, c in pins.items():
        assignment[r] = c
    decisions = _decisions(instance, parameters, elig, ids, assignment, pins, over, free, free_phase, phases,
                           groups, flow_rows)
    sibling_notes = _sibling_notes(instance, ids, flow_rows, groups)
    decisions = [d.model_copy(update={"reason": f"{d.reason}; {sibling_notes[d.learner_id]}"})
                 if d.learner_id in sibling_notes else d for d in decisions]
    objective = plan_objective(decisions, parameters.previous_proposals)
    placed = sum(1 for d in decisions if d.setting_id is not None)
    stats = PlacementStatistics(
        status=status, objective=objective, bound=dict(objective) if status == "OPTIMAL" else {}, gap=gap,
        placed=placed, unplaced=len(decisions) - placed, learners=len(ids), settings=len(instance.settings),
        eligible_pairs=elig.pair_count, stages=len(stages), used_cpsat=used_cpsat, cpsat_free_learners=cp_free,
        cpsat_variables=cp_vars, wall_seconds=time.perf_counter() - started, build_seconds=build_done - started,
        solve_seconds=solve_done - build_done, peak_rss_mib=peak_rss_mib(),
    )
    progress.report(1.0, f"placed {placed} of {len(decisions)}")
    changes = proposal_changes(instance, elig, decisions, parameters.previous_proposals)
    return PlacementPlan(academic_year=round_.year, decisions=decisions, statistics=stats,
                         free_capacity=dict(round_.free_capacity), changes=changes)


def _member_arcs(units: list[list[int]], arc_unit: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(arc, member) pairs: one per arc for single learners, one per member for sibling-group arcs."""
    first = np.array([u[0] for u in units], dtype=np.int64)
    arcs = [np.arange(len(arc_unit), dtype=np.int64)]
    members = [first[arc_unit] if len(arc_unit) else np.zeros(0, np.int64)]
    for unit, group in enumerate(units):
        if len(group) > 1:
            mine = np.flatnonzero(arc_unit == unit)
            for member in group[1:]:
                arcs.append(mine)
                members.append(np.full(len(mine), member, dtype=np.int64))
    return np.concatenate(arcs), np.concatenate(members)


def plan_objective(decisions: list[PlacementDecision],
                   previous: dict[str, str | None] | None = None) -> dict[str, int]:
    """Per-rule totals of a plan (the values the lexicographic objective ranks)."""
    stability = {} if not previous else {ObjectiveRule.STABILITY.value: sum(
        1 for d in decisions if d.learner_id in previous and d.setting_id != previous[d.learner_id])}
    return {
        **stability,
        ObjectiveRule.PLACED.value: sum(1 for d in decisions if d.setting_id is None),
        ObjectiveRule.PREFERENCE.value: sum(d.preference_value for d in decisions),
        ObjectiveRule.RESTRICTIVENESS.value: sum(d.restrictiveness or 0 for d in decisions),
        ObjectiveRule.TRAVEL.value: sum(d.travel_minutes or 0 for d in decisions),
        ObjectiveRule.COST.value: sum(d.cost or 0 for d in decisions),
    }


def proposal_changes(instance: Instance, elig: EligibilityMatrix, decisions: list[PlacementDecision],
                     previous: dict[str, str | None]) -> list[ProposalChange]:
    """Every learner whose proposal differs from the earlier run's, with the reason: the earlier setting is gone or
    no longer suitable, or its places went to others (a pinned placement named), or a higher rule."""
    if not previous:
        return []
    now = {d.learner_id: d.setting_id for d in decisions}
    pinned = {d.learner_id for d in decisions if d.pinned}
    col_of = {sid: c for c, sid in enumerate(elig.setting_ids)}
    row_of = {lid: r for r, lid in enumerate(elig.learner_ids)}
    changes: list[ProposalChange] = []
    for lid, before in sorted(previous.items()):
        after = now.get(lid)
        if lid not in now or after == before:
            continue
        if before is None:
            reason = "placed now: a place became available"
        elif before not in col_of:
            reason = f"the earlier setting {before} is no longer in the council's data"
        elif codes := elig.pair_reasons(row_of[lid], col_of[before]):
            reason = f"the earlier setting {before} is no longer suitable: " + ", ".join(c.value for c in codes)
        else:
            newcomers = sorted(x for x, s in now.items() if s == before and previous.get(x) != before)
            by_pin = [x for x in newcomers if x in pinned]
            reason = (f"its place went to a pinned placement ({', '.join(by_pin)})" if by_pin else
                      f"its places went to {', '.join(newcomers)}" if newcomers else
                      "a higher rule (placing more learners) needed the change")
        changes.append(ProposalChange(learner_id=lid, previous_setting_id=before, setting_id=after, reason=reason))
    return changes


def _after_pins(round_: PlacementRound, pins: dict[int, int], ids: tuple[str, ...], phases: list[Phase],
                setting_ids: tuple[str, ...]) -> tuple[dict[str, int], dict[tuple[str, Phase], int], set[int]]:
    """Free places left after pinned placements, and the pins that go beyond the free places."""
    free = dict(round_.free_capacity)
    free_phase = dict(round_.free_phase_capacity)
    over: set[int] = set()
    for row in sorted(pins):
        sid = setting_ids[pins[row]]
        key = (sid, phases[row])
        # A school named in the plan must admit the child: capacity is soft for a pinned placement.
        if free[sid] <= 0 or (key in free_phase and free_phase[key] <= 0):
            over.add(row)
        free[sid] = max(0, free[sid] - 1)
        if key in free_phase:
            free_phase[key] = max(0, free_phase[key] - 1)
    return free, free_phase, over


def _groups(instance: Instance, ids: tuple[str, ...], flow_rows: NDArray[np.int64], phases: list[Phase],
            eligible: NDArray[np.bool_]) -> list[list[int]]:
    """Sibling groups the optimiser must keep together (positions in `flow_rows`).

    Siblings moving in the same phase go to the same setting; siblings in different phases, or with no setting
    that can take all of them, cannot share one, so no rule binds them (explanations say so).
    """
    by_group: dict[tuple[str, Phase], list[int]] = {}
    for k, r in enumerate(flow_rows.tolist()):
        group = instance.learner_by_id[ids[r]].sibling_group
        if group is not None:
            by_group.setdefault((group, phases[r]), []).append(k)
    return [members for _, members in sorted(by_group.items())
            if len(members) > 1 and np.logical_and.reduce(eligible[members], axis=0).any()]


def _sibling_notes(instance: Instance, ids: tuple[str, ...], flow_rows: NDArray[np.int64],
                   groups: list[list[int]]) -> dict[str, str]:
    """For siblings the together rule does not bind (different phases, or no common setting), say so."""
    bound = {ids[int(flow_rows[k])] for g in groups for k in g}
    notes: dict[str, str] = {}
    for r in flow_rows.tolist():
        learner = instance.learner_by_id[ids[r]]
        if learner.sibling_group is not None and ids[r] not in bound:
            notes[ids[r]] = "sibling group not bound: no sibling moves in the same phase with a common setting"
    return notes


def _decisions(instance: Instance, parameters: PlacementParameters, elig: EligibilityMatrix, ids: tuple[str, ...],
               assignment: dict[int, int | None], pins: dict[int, int], over: set[int], free: dict[str, int],
               free_phase: dict[tuple[str, Phase], int], phases: list[Phase], groups: list[list[int]],
               flow_rows: NDArray[np.int64]) -> list[PlacementDecision]:
    settings = instance.settings
    used: dict[str, int] = {}
    used_phase: dict[tuple[str, Phase], int] = {}
    for r, c in assignment.items():
        if c is not None and r not in pins:
            used[settings[c].id] = used.get(settings[c].id, 0) + 1
            key = (settings[c].id, phases[r])
            used_phase[key] = used_phase.get(key, 0) + 1
    grouped = {int(flow_rows[k]) for g in groups for k in g}
    setting_col = {sid: c for c, sid in enumerate(elig.setting_ids)}

    def full(col: int, row: int) -> bool:
        sid = settings[col].id
        key = (sid, phases[row])
        return used.get(sid, 0) >= free[sid] or (key in free_phase and used_phase.get(key, 0) >= free_phase[key])

    gbp = np.array([annual_cost_gbp(s) for s in settings], dtype=np.int64)

    def over_resources(row: int, col: int) -> bool:
        """Dearer than the learner's cheapest eligible setting by more than the threshold (s39(4)(b))."""
        threshold = parameters.resources_threshold_gbp
        if threshold is None:
            return False
        eligible = np.flatnonzero(elig.eligible[row])
        return len(eligible) > 0 and bool(gbp[col] > gbp[eligible].min() + threshold)

    def resources_detail(row: int, col: int, chosen: int | None) -> str:
        compare = f"£{gbp[chosen]:,} for the proposed setting" if chosen is not None else \
            f"£{gbp[np.flatnonzero(elig.eligible[row])].min():,} for the cheapest suitable setting"
        return (f"annual cost £{gbp[col]:,} against {compare} (more than the £"
                f"{parameters.resources_threshold_gbp:,} threshold)")

    def taken(col: int) -> str:
        sid = settings[col].id
        return (f"its {free[sid]} free place(s) this round went to {used.get(sid, 0)} learner(s) ahead in the "
                "order (placing as many as possible, then earlier preferences)")

    out: list[PlacementDecision] = []
    for r, lid in enumerate(ids):
        learner = instance.learner_by_id[lid]
        c = assignment[r]
        requested = learner.requested_setting_ids
        rank = None
        if c is not None and settings[c].id in requested:
            rank = requested.index(settings[c].id) + 1
        requests: list[RequestResult] = []
        for k, sid in enumerate(requested, start=1):
            requests.append(_request_result(elig, r, setting_col[sid], sid, k, c, rank, full, taken,
                                            lambda col, row=r, chosen=c: (resources_detail(row, col, chosen)
                                                                         if over_resources(row, col) else "")))
        if rank is not None and c is not None and over_resources(r, c):
            pref = parameters.unmet_preference_penalty  # named, but not owed as a preference (s39(4)(b))
        else:
            pref = preference_value(rank, len(requested), parameters)
        if c is None:
            reason_code = _unplaced_reason(elig, r, r in grouped, lambda col, row=r: full(col, row))
            decision = PlacementDecision(learner_id=lid, setting_id=None, requests=requests, preference_value=pref,
                                         unplaced_reason=reason_code, reason=_unplaced_text(reason_code))
        else:
            minutes = int(round_minutes(np.array([elig.minutes[r, c]]))[0])
            setting = settings[c]
            decision = PlacementDecision(
                learner_id=lid, setting_id=setting.id, pinned=r in pins, preference_rank=rank, requests=requests,
                preference_value=pref,
                travel_minutes=minutes, restrictiveness=parameters.restrictiveness_of(setting.kind),
                cost=setting_cost_units(setting, parameters), over_capacity=r in over,
                step_down=_steps_down(instance, learner.current_setting_id, setting.kind),
                reason=_placed_text(setting.name, rank, r in pins, minutes))
        out.append(decision)
    return out


def _steps_down(instance: Instance, current_id: str | None, proposed: SettingKind) -> bool:
    """A learner in specialist provision now (not a short-stay PRU) proposed a mainstream school."""
    current = instance.setting_by_id.get(current_id or "")
    return (current is not None and current.kind.is_specialist and current.kind is not SettingKind.PRU_AP
            and proposed is SettingKind.MAINSTREAM)


def _request_result(elig: EligibilityMatrix, row: int, col: int, sid: str, rank: int, chosen: int | None,
                    chosen_rank: int | None, full: Any, taken: Any, dearer: Any) -> RequestResult:
    """What became of one request, with its s39(4) ground and numbers when it was refused."""
    if chosen == col:
        return RequestResult(setting_id=sid, rank=rank, outcome=RequestOutcome.NAMED)
    if chosen_rank is not None and chosen_rank < rank:
        return RequestResult(setting_id=sid, rank=rank, outcome=RequestOutcome.EARLIER_CHOICE_NAMED)
    reasons = elig.pair_reasons(row, col)
    unsuitable = RefusalGround.UNSUITABLE
    if reasons == [ExclusionReason.TOO_FAR]:
        detail = f"journey {elig.minutes[row, col]:.0f} min against a limit of {int(elig.limit[row])} min"
        return RequestResult(setting_id=sid, rank=rank, outcome=RequestOutcome.TOO_FAR, ground=unsuitable,
                             detail=detail)
    if reasons:
        return RequestResult(setting_id=sid, rank=rank, outcome=RequestOutcome.UNSUITABLE, ground=unsuitable,
                             detail=", ".join(r.value for r in reasons))
    if detail := dearer(col):
        return RequestResult(setting_id=sid, rank=rank, outcome=RequestOutcome.OTHER_RULE,
                             ground=RefusalGround.EFFICIENT_USE_OF_RESOURCES, detail=detail)
    others = RefusalGround.EFFICIENT_EDUCATION_OF_OTHERS
    if full(col, row):
        return RequestResult(setting_id=sid, rank=rank, outcome=RequestOutcome.FULL, ground=others,
                             detail=taken(col))
    return RequestResult(setting_id=sid, rank=rank, outcome=RequestOutcome.OTHER_RULE, ground=others,
                         detail="naming it would break a higher rule (sibling group or placing more learners)")


def _unplaced_reason(elig: EligibilityMatrix, row: int, grouped: bool, full: Any) -> UnplacedReason:
    suitable = elig.meets_need[elig.need_index[row]] & elig.is_open
    suitable &= (elig.ncy[row] >= elig.ncy_min) & (elig.ncy[row] <= elig.ncy_max)
    suitable &= ~(elig.is_pru & ~elig.at_risk[row])
    if not suitable.any():
        return UnplacedReason.NO_DESIGNATED_SETTING
    reachable = np.flatnonzero(elig.eligible[row])
    if len(reachable) == 0:
        # Nothing eligible: either no setting of the plan's type (or that admits them) meets the need at this age,
        # or some does and is beyond the journey limit.
        for _, forbidden in elig.conditions(row):
            suitable &= ~forbidden
        return UnplacedReason.TOO_FAR if suitable.any() else UnplacedReason.NO_SETTING_OF_PLAN_TYPE
    if grouped and any(not full(int(c)) for c in reachable):
        return UnplacedReason.SIBLING_GROUP
    return UnplacedReason.ALL_FULL


def _unplaced_text(reason: UnplacedReason) -> str:
    return {
        UnplacedReason.NO_DESIGNATED_SETTING: "No open setting can meet this need at this age",
        UnplacedReason.NO_SETTING_OF_PLAN_TYPE: "No open setting of the type of provision the plan names can meet "
                                                "this need at this age (the plan or its acceptable types may need "
                                                "review)",
        UnplacedReason.TOO_FAR: "Suitable settings exist but all are beyond the journey limit",
        UnplacedReason.ALL_FULL: "Suitable settings within reach are all full",
        UnplacedReason.SIBLING_GROUP: "No setting has places for the whole sibling group",
    }[reason]


def _placed_text(name: str, rank: int | None, pinned: bool, minutes: int) -> str:
    if pinned:
        return f"Agreed placement at {name} kept ({minutes} min)"
    if rank is not None:
        return f"Requested setting (choice {rank}) named: {name} ({minutes} min)"
    return f"Proposed {name} ({minutes} min)"


def run_placement(instance: Instance, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run API entry point: validate parameters, place, return a JSON-serialisable result."""
    params = PlacementParameters.model_validate(parameters)
    plan = place(instance, params, progress)
    result = plan.model_dump(mode="json")
    result["status"] = plan.statistics.status
    return result
