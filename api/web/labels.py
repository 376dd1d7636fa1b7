"""Words for the codes the dashboard shows, and its colour palettes: one source for the pages' scripts.

Every page embeds ``page_data()`` as JSON (``<script type="application/json" id="pp-data">``); ``app.js`` reads it
into ``PP.label`` and ``PP.palette``. Need labels come from ``planner.domain.codes.NEED_LABELS`` (the SEN2 codes),
phases are listed in school order (early years to post-19, ``Phase`` order), and every ``SettingKind`` has words.

Palettes (colour-blind safe; ``tests/web/test_palette.py`` checks them under simulated colour vision deficiency):
- categorical: Okabe and Ito, "Color Universal Design" (2002/2008), the eight colours in the order used for lines
  on white (black and yellow last: yellow is for fills only);
- sequential: viridis (van der Walt and Smith, matplotlib 2015) and cividis (Nuñez, Anderton and Renslow, PLOS ONE
  2018), both perceptually uniform and monotone in lightness; Plotly ships them as "Viridis" and "Cividis".
"""

from __future__ import annotations

from typing import Any

from planner.domain.codes import NEED_LABELS, Phase, SettingKind, SettingStatus
from planner.sufficiency import POOL_OF_KIND

# Okabe-Ito: blue, orange, bluish green, vermillion, reddish purple, sky blue, black, yellow.
OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
                              "#F0E442")
# The three ways need is not met in area, always drawn in these colours (Okabe-Ito vermillion, orange, blue).
NOT_MET_COLOURS: dict[str, str] = {"short_of_capacity": "#D55E00", "out_of_reach": "#E69F00",
                                   "placed_out_of_area": "#0072B2"}
# Plotly's own names for the sequential scales (built into plotly.js).
SEQUENTIAL = "Viridis"
SEQUENTIAL_ALT = "Cividis"
# Viridis end points and middle (matplotlib's _viridis_data at 0, 0.5 and 1), for fills drawn by hand (the map).
VIRIDIS_STOPS: tuple[str, ...] = ("#440154", "#21918C", "#FDE725")

PHASE_LABELS: dict[Phase, str] = {
    Phase.EARLY_YEARS: "Early years",
    Phase.PRIMARY: "Primary",
    Phase.SECONDARY: "Secondary",
    Phase.POST16: "Post-16",
    Phase.POST19: "Post-19",
}

KIND_LABELS: dict[SettingKind, str] = {
    SettingKind.MAINSTREAM: "Mainstream school",
    SettingKind.RESOURCED_PROVISION: "Resourced provision",
    SettingKind.SEN_UNIT: "SEN unit",
    SettingKind.SPECIAL: "Special school",
    SettingKind.SEMH_SPECIAL: "SEMH special school",
    SettingKind.PRU_AP: "Pupil referral unit / alternative provision",
    SettingKind.INDEPENDENT_SPECIAL: "Independent or non-maintained special school",
    SettingKind.POST16_SPECIALIST: "Special post-16 institution",
    SettingKind.FE_COLLEGE: "FE college",
}

# Solver and run statuses as the API reports them (upper case from the solvers, lower case from runs).
STATUS_LABELS: dict[str, str] = {
    "OPTIMAL": "Optimal", "FEASIBLE": "Feasible (not proven optimal)", "INFEASIBLE": "Infeasible",
    "UNKNOWN": "No answer within the time limit", "MODEL_INVALID": "Model invalid",
    "optimal": "Optimal", "feasible": "Feasible (not proven optimal)", "infeasible": "Infeasible",
    "queued": "Queued", "running": "Running", "succeeded": "Finished", "failed": "Failed", "cancelled": "Cancelled",
}

POOL_LABELS: dict[str, str] = {"specialist": "Specialist places", "alternative_provision": "Alternative provision"}


def page_data() -> dict[str, Any]:
    """The labels and palettes every page's scripts use (JSON-serialisable)."""
    return {
        "labels": {
            "need": {need.value: label for need, label in NEED_LABELS.items()},
            "phase": {phase.value: PHASE_LABELS[phase] for phase in Phase},
            "kind": {kind.value: KIND_LABELS[kind] for kind in SettingKind},
            "setting_status": {status.value: status.value.replace("_", " ").capitalize() for status in SettingStatus},
            "status": dict(STATUS_LABELS),
            "pool": dict(POOL_LABELS),
        },
        "order": {"phase": [phase.value for phase in Phase], "need": [need.value for need in NEED_LABELS],
                  "pool": list(POOL_LABELS)},
        # The pool of places each specialist kind belongs to (planner.sufficiency.POOL_OF_KIND): the Overview counts
        # specialist and alternative provision places apart, as the sufficiency model allocates them.
        "pool_of_kind": {kind.value: pool for kind, pool in POOL_OF_KIND.items()},
        "palette": {"categorical": list(OKABE_ITO), "not_met": dict(NOT_MET_COLOURS), "sequential": SEQUENTIAL,
                    "sequential_alt": SEQUENTIAL_ALT, "viridis_stops": list(VIRIDIS_STOPS)},
    }
