"""Setting and learner list queries: every filter, alone and combined, paging, and unknown codes."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import store
from api.db import session_scope
from planner.domain.codes import Need, SettingKind
from planner.domain.models import Instance


@pytest.fixture
def stored(engine: Engine, tiny_instance: Instance) -> tuple[Engine, int, Instance]:
    with session_scope(engine) as session:
        store.save_instance(session, tiny_instance.replace(name="Decoy"), "decoy")
        instance_id = store.save_instance(session, tiny_instance, "test")
    return engine, instance_id, tiny_instance


def _ids(rows: list) -> list[str]:
    return [r.setting_id if hasattr(r, "setting_id") else r.learner_id for r in rows]


def _expected(instance: Instance, **filters: object) -> list[str]:
    """The same filters computed on the domain model: the oracle for the SQL."""
    out = []
    for s in instance.settings:
        if "kind" in filters and s.kind != filters["kind"]:
            continue
        if "need" in filters and filters["need"] not in s.designated_needs:
            continue
        if "locality_id" in filters and s.locality_id != filters["locality_id"]:
            continue
        if "in_area" in filters and s.in_area != filters["in_area"]:
            continue
        out.append(s.id)
    return out


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"kind": SettingKind.SPECIAL},
        {"need": Need.ASD},
        {"need": Need.SLD},  # must not match PMLD
        {"need": Need.PMLD},
        {"need": Need.DS},
        {"locality_id": "L-S"},
        {"in_area": False},
        {"in_area": True, "need": Need.SEMH},
        {"kind": SettingKind.SPECIAL, "need": Need.ASD, "locality_id": "L-N"},
    ],
)
def test_setting_filters_match_the_domain(stored: tuple[Engine, int, Instance], filters: dict) -> None:
    engine, instance_id, instance = stored
    with Session(engine) as session:
        rows = store.query_settings(session, instance_id, **filters)
        assert _ids(rows) == _expected(instance, **filters)
        assert store.count_settings(session, instance_id, **filters) == len(rows)
    assert all(r.instance_id == instance_id for r in rows)


def test_setting_paging_and_domain_conversion(stored: tuple[Engine, int, Instance]) -> None:
    engine, instance_id, instance = stored
    with Session(engine) as session:
        page = store.query_settings(session, instance_id, limit=3, offset=2)
        assert _ids(page) == [s.id for s in instance.settings[2:5]]
        assert [store.setting_from_row(r) for r in page] == list(instance.settings[2:5])
        assert store.query_settings(session, instance_id, kind="special", need="asd") != []


def test_unknown_codes_are_clear_errors(stored: tuple[Engine, int, Instance]) -> None:
    engine, instance_id, _ = stored
    with Session(engine) as session:
        with pytest.raises(ValueError, match="castle"):
            store.query_settings(session, instance_id, kind="castle")
        with pytest.raises(ValueError, match="XYZ"):
            store.query_settings(session, instance_id, need="XYZ")


def test_learner_filters(stored: tuple[Engine, int, Instance]) -> None:
    engine, instance_id, instance = stored
    with Session(engine) as session:
        semh = store.query_learners(session, instance_id, need=Need.SEMH)
        assert _ids(semh) == [x.id for x in instance.learners if x.primary_need is Need.SEMH]
        south = store.query_learners(session, instance_id, locality_id="L-S", current_setting_id="100002")
        assert _ids(south) == ["LRN-0002", "LRN-0003"]
        assert [store.learner_from_row(r) for r in south] == [instance.learner_by_id["LRN-0002"],
                                                              instance.learner_by_id["LRN-0003"]]
        assert _ids(store.query_learners(session, instance_id, limit=2, offset=7)) == ["LRN-0008"]
