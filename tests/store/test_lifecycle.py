"""Deleting, replacing and listing instances; scenarios and runs around them; the runs table itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from api import store
from api.db import session_scope
from api.tables import INSTANCE_CHILD_TABLES, INSTANCE_OWNED_TABLES, LearnerRow, RunRow, RunStatus, ScenarioRow
from planner.domain.models import Instance


def _count(session: Session, table: Any, instance_id: int | None = None) -> int:
    query = select(func.count()).select_from(table)
    if instance_id is not None:
        query = query.where(table.instance_id == instance_id)
    return int(session.execute(query).scalar_one())


def _save(engine: Engine, instance: Instance, source: str = "test") -> int:
    with session_scope(engine) as session:
        return store.save_instance(session, instance, source)


def test_delete_instance_removes_every_record(engine: Engine, tiny_instance: Instance) -> None:
    kept = _save(engine, tiny_instance.replace(name="Kept"))
    doomed = _save(engine, tiny_instance)
    with session_scope(engine) as session:
        store.delete_instance(session, doomed)
    with Session(engine) as session:
        for table in INSTANCE_CHILD_TABLES:
            assert _count(session, table, doomed) == 0, table.__tablename__
        assert _count(session, LearnerRow, kept) == len(tiny_instance.learners)
        with pytest.raises(store.InstanceNotFound):
            store.load_instance(session, doomed)


def test_database_cascade_deletes_records_without_the_store(engine: Engine, tiny_instance: Instance) -> None:
    """ON DELETE CASCADE is in the schema itself (SQLite via the foreign_keys pragma of api.db.make_engine)."""
    instance_id = _save(engine, tiny_instance)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM instances WHERE id = :id"), {"id": instance_id})
    with Session(engine) as session:
        for table in INSTANCE_CHILD_TABLES:
            assert _count(session, table) == 0, table.__tablename__


def test_delete_unknown_instance(session: Session) -> None:
    with pytest.raises(store.InstanceNotFound):
        store.delete_instance(session, 42)


def test_runs_outlive_the_instance_they_used(engine: Engine, tiny_instance: Instance) -> None:
    instance_id = _save(engine, tiny_instance)
    with session_scope(engine) as session:
        run = RunRow(kind="placement", instance_id=instance_id, parameters={"seed": 1}, result={"status": "optimal"})
        session.add(run)
        session.flush()
        run_id = run.id
    with session_scope(engine) as session:
        store.delete_instance(session, instance_id)
    with Session(engine) as session:
        kept = session.get(RunRow, run_id)
        assert kept is not None and kept.instance_id is None and kept.result == {"status": "optimal"}


def test_scenarios_protect_their_base_instance(engine: Engine, tiny_instance: Instance) -> None:
    instance_id = _save(engine, tiny_instance)
    with session_scope(engine) as session:
        parent = ScenarioRow(name="More ASD places", base_instance_id=instance_id, edits=[{"op": "x"}])
        session.add(parent)
        session.flush()
        session.add(ScenarioRow(name="Child", base_instance_id=instance_id, parent_scenario_id=parent.id))
        session.add(RunRow(kind="scenario", instance_id=instance_id, scenario_id=parent.id))
    with pytest.raises(store.InstanceInUse, match="Child, More ASD places"), session_scope(engine) as session:
        store.delete_instance(session, instance_id)
    with session_scope(engine) as session:
        store.delete_instance(session, instance_id, delete_scenarios=True)
    with Session(engine) as session:
        assert _count(session, ScenarioRow) == 0
        run = session.execute(select(RunRow)).scalar_one()
        assert run.scenario_id is None and run.instance_id is None


def test_database_refuses_to_orphan_a_scenario(engine: Engine, tiny_instance: Instance) -> None:
    instance_id = _save(engine, tiny_instance)
    with session_scope(engine) as session:
        session.add(ScenarioRow(name="S", base_instance_id=instance_id))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("DELETE FROM instances WHERE id = :id"), {"id": instance_id})


def test_replace_instance_keeps_the_id_and_the_scenarios(engine: Engine, tiny_instance: Instance) -> None:
    with session_scope(engine) as session:
        first = store.replace_instance(session, tiny_instance, "demo:1")
        session.add(ScenarioRow(name="S", base_instance_id=first))
        session.add(RunRow(kind="placement", instance_id=first))
    smaller = tiny_instance.replace(learners=tiny_instance.learners[:4], metadata={"seed": 2})
    with session_scope(engine) as session:
        second = store.replace_instance(session, smaller, "demo:2")
    assert second == first
    with Session(engine) as session:
        assert store.load_instance(session, first) == smaller
        [summary] = store.list_instances(session)
        assert (summary.source, summary.learners) == ("demo:2", 4)
        assert session.execute(select(col(ScenarioRow.base_instance_id))).scalar_one() == first
        assert session.execute(select(col(RunRow.instance_id))).scalar_one() == first


def test_replace_instance_folds_older_duplicates(engine: Engine, tiny_instance: Instance) -> None:
    old = _save(engine, tiny_instance, "old")
    newer = _save(engine, tiny_instance, "newer")
    other = _save(engine, tiny_instance.replace(name="Other"), "other")
    with session_scope(engine) as session:
        session.add(ScenarioRow(name="On the old one", base_instance_id=old))
    with session_scope(engine) as session:
        kept = store.replace_instance(session, tiny_instance, "latest")
    assert kept == newer
    with Session(engine) as session:
        assert [(s.id, s.source) for s in store.list_instances(session)] == [(newer, "latest"), (other, "other")]
        assert session.execute(select(col(ScenarioRow.base_instance_id))).scalar_one() == newer


def test_failed_save_leaves_nothing(engine: Engine, tiny_instance: Instance) -> None:
    """One transaction: a failure part-way (here a duplicate learner id forced past validation) stores nothing."""
    learners = tiny_instance.learners
    broken = Instance.model_construct(**{**dict(tiny_instance), "learners": (*learners, learners[0])})
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        store.save_instance(session, broken, "broken")
    with Session(engine) as session:
        assert store.list_instances(session) == []
        for table in INSTANCE_CHILD_TABLES:
            assert _count(session, table) == 0


def test_latest_instance_id(engine: Engine, tiny_instance: Instance) -> None:
    with Session(engine) as session:
        assert store.latest_instance_id(session) is None
    first = _save(engine, tiny_instance)
    second = _save(engine, tiny_instance.replace(name="Other"))
    with Session(engine) as session:
        assert store.latest_instance_id(session) == second
        assert store.latest_instance_id(session, name="Tiny council") == first
        assert store.latest_instance_id(session, name="Nobody") is None


def test_run_rows_keep_utc_times_and_json(engine: Engine) -> None:
    started = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
    with session_scope(engine) as session:
        run = RunRow(kind="sufficiency", status=RunStatus.RUNNING.value, parameters={"years": [2027, 2028]},
                     progress=0.5, message="solving", statistics={"wall_seconds": 1.25}, started_at=started,
                     created_by="planner@council", resubmitted_from="0" * 32)
        session.add(run)
        session.flush()
        run_id = run.id
    assert len(run_id) == 32
    with Session(engine) as session:
        loaded = session.get(RunRow, run_id)
        assert loaded is not None
        assert loaded.started_at == started and loaded.started_at.tzinfo is not None
        assert loaded.created_at.tzinfo is not None
        assert loaded.parameters == {"years": [2027, 2028]} and loaded.statistics == {"wall_seconds": 1.25}
        assert loaded.result is None and loaded.finished_at is None


@pytest.mark.parametrize(("field", "value"), [("status", "exploded"), ("progress", 1.5)])
def test_run_rows_refuse_impossible_values(engine: Engine, field: str, value: object) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        run = RunRow(kind="placement")
        setattr(run, field, value)
        session.add(run)


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="timezone-aware"), session_scope(engine) as session:
        session.add(RunRow(kind="placement", started_at=datetime(2026, 9, 1, 8, 30)))


def test_travel_matrix_is_stored_updated_and_deleted_with_its_instance(engine: Engine, tiny_instance: Instance) -> None:
    instance_id = _save(engine, tiny_instance)
    with session_scope(engine) as session:
        assert store.save_travel_matrix(session, instance_id, {("LRN-0001", "100002"): 17.5,
                                                               ("L-N", "100003"): 30.0}) == 2
    with session_scope(engine) as session:
        assert store.save_travel_matrix(session, instance_id, {("L-N", "100003"): 25.0, ("L-S", "100002"): 8}) == 3
        assert store.load_travel_matrix(session, instance_id) == {
            ("LRN-0001", "100002"): 17.5, ("L-N", "100003"): 25.0, ("L-S", "100002"): 8.0}
    with session_scope(engine) as session:
        assert store.save_travel_matrix(session, instance_id, {("L-S", "100002"): 9}, replace=True) == 1
        # The instance carries its journey times: overwriting with the loaded instance keeps them ...
        store.overwrite_instance(session, instance_id, store.load_instance(session, instance_id), "again")
        assert store.load_travel_matrix(session, instance_id) == {("L-S", "100002"): 9.0}
        # ... and overwriting with one that has none leaves none (no pair can outlive the records it joins).
        store.overwrite_instance(session, instance_id, tiny_instance, "again")
        assert store.load_travel_matrix(session, instance_id) == {}
        store.save_travel_matrix(session, instance_id, {("L-S", "100002"): 9})
    with session_scope(engine) as session:
        store.delete_instance(session, instance_id)
    with Session(engine) as session:
        for table in INSTANCE_OWNED_TABLES:
            assert _count(session, table) == 0, table.__tablename__
