"""Explanations, recommendations and exports on a small plan."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.io.placement_export import write_placements
from planner.placement.explain import explain_learner, recommend
from planner.placement.matching import place
from planner.placement.params import PlacementParameters

from .conftest import instance, learner, setting


def test_explanations_and_recommendations(tmp_path: Path) -> None:
    inst = instance([setting("NEAR", capacity=1), setting("FAR", km=10), setting("SEC", ncy=(7, 11))],
                    [learner("A"), learner("B")])
    params = PlacementParameters(place_all=True)
    plan = place(inst, params)
    far_learner = next(d.learner_id for d in plan.decisions if d.setting_id == "FAR")
    explanation = explain_learner(inst, plan, far_learner, params)
    reasons = {a.setting_id: a.reasons for a in explanation.alternatives}
    assert reasons["NEAR"] == ["FULL"] and reasons["SEC"] == ["AGE_RANGE"]
    best = recommend(inst, plan, far_learner, 2, params)
    # The proposal first; NEAR is full and names the learner it would displace (the one placed there)
    assert [(a.setting_id, a.proposed) for a in best] == [("FAR", True), ("NEAR", False)]
    near_learner = next(d.learner_id for d in plan.decisions if d.setting_id == "NEAR")
    assert best[1].would_displace == [near_learner] and best[0].rules["travel"] > best[1].rules["travel"]
    for suffix in (".csv", ".xlsx"):
        path = write_placements(inst, plan, tmp_path / f"p{suffix}")
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_excel(path)
        assert list(frame["learner_id"]) == ["A", "B"]


def test_export_writes_whole_minutes_and_escapes_formula_like_names(tmp_path: Path) -> None:
    formula_named = setting("NEAR", capacity=1).model_copy(update={"name": '=HYPERLINK("http://x")'})
    inst = instance([formula_named, setting("FULL", capacity=0)], [learner("A"), learner("B")])
    plan = place(inst, PlacementParameters(place_all=True))
    frame = pd.read_csv(write_placements(inst, plan, tmp_path / "p.csv"), dtype=str, keep_default_na=False)
    placed = frame[frame["setting_id"] == "NEAR"].iloc[0]
    assert placed["setting_name"].startswith("'=")
    assert "." not in placed["travel_minutes"] and placed["travel_minutes"].isdigit()
    assert (frame["setting_id"] == "").sum() == 1 and frame[frame["setting_id"] == ""].iloc[0]["travel_minutes"] == ""
