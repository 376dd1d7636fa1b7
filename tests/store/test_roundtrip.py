"""Saving an instance and loading it back gives exactly the same instance, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api import store
from api.db import session_scope
from api.tables import LearnerRow, SettingRow
from planner.domain.codes import Need, Phase, SettingKind, SettingStatus, phase_of_ncy
from planner.domain.models import Instance, Learner, Locality, NeedForecast, OutreachTeam, Point, Setting


def _round_trip(engine: Engine, instance: Instance, source: str = "test") -> Instance:
    with session_scope(engine) as session:
        instance_id = store.save_instance(session, instance, source)
    with Session(engine) as session:
        return store.load_instance(session, instance_id)


def test_tiny_instance_round_trips_exactly(engine: Engine, tiny_instance: Instance) -> None:
    loaded = _round_trip(engine, tiny_instance)
    assert loaded == tiny_instance
    # Field by field too, so a failure names what differs (and cached maps cannot mask a difference).
    assert loaded.settings == tiny_instance.settings
    assert loaded.learners == tiny_instance.learners
    assert loaded.teams == tiny_instance.teams
    assert loaded.forecasts == tiny_instance.forecasts
    assert loaded.localities == tiny_instance.localities
    assert loaded.metadata == tiny_instance.metadata


def test_round_trip_keeps_types_and_order(engine: Engine, tiny_instance: Instance) -> None:
    loaded = _round_trip(engine, tiny_instance)
    special = loaded.setting_by_id["100002"]
    assert special.designations == frozenset({Need.SLD, Need.PMLD, Need.ASD})
    assert special.capacity_by_phase == {Phase.PRIMARY: 70, Phase.SECONDARY: 60}
    assert all(isinstance(phase, Phase) for phase in special.capacity_by_phase)
    learner = loaded.learner_by_id["LRN-0002"]
    assert learner.requested_setting_ids == ("100002", "P-001")
    assert loaded.learner_by_id["LRN-0001"].birth_date == date(2019, 8, 31)
    assert [x.id for x in loaded.learners] == [x.id for x in tiny_instance.learners]
    assert loaded.teams[1].base is None


def test_saved_rows_carry_domain_ids_and_points(engine: Engine, tiny_instance: Instance) -> None:
    with session_scope(engine) as session:
        instance_id = store.save_instance(session, tiny_instance, "test")
    with Session(engine) as session:
        learner = session.exec(
            select(LearnerRow).where(LearnerRow.instance_id == instance_id, LearnerRow.learner_id == "LRN-0001")
        ).one()
        assert (learner.home_easting, learner.home_northing) == (451_300.125, 301_050.5)
        assert learner.primary_need == "ASD"
        setting = session.exec(
            select(SettingRow).where(SettingRow.instance_id == instance_id, SettingRow.setting_id == "100002")
        ).one()
        assert setting.designations == ["ASD", "PMLD", "SLD"]
        assert setting.kind == "special"


def test_two_instances_are_kept_apart(engine: Engine, tiny_instance: Instance) -> None:
    other = tiny_instance.replace(name="Other council", learners=tiny_instance.learners[:3])
    with session_scope(engine) as session:
        first = store.save_instance(session, tiny_instance, "a")
        second = store.save_instance(session, other, "b")
    with Session(engine) as session:
        assert store.load_instance(session, first) == tiny_instance
        assert store.load_instance(session, second) == other
        summaries = {s.id: s for s in store.list_instances(session)}
    assert summaries[first].learners == 8 and summaries[second].learners == 3
    assert summaries[second].source == "b"


def test_empty_instance_round_trips(engine: Engine) -> None:
    empty = Instance(name="Empty", base_year=2030)
    assert _round_trip(engine, empty) == empty


def test_nul_in_text_is_refused_before_writing(engine: Engine, tiny_instance: Instance) -> None:
    with pytest.raises(store.UnstorableText, match="instance name contains a NUL"), Session(engine) as session:
        store.save_instance(session, tiny_instance.replace(name="bad\x00name"), "test")
    with Session(engine) as session:
        assert store.list_instances(session) == []


def test_load_unknown_instance_is_a_clear_error(session: Session) -> None:
    with pytest.raises(store.InstanceNotFound, match="no stored instance with id 999"):
        store.load_instance(session, 999)


# ---------------------------------------------------------------------------------------------------------------
# Generated instances: awkward floats, optional fields present or absent, any order of records.

_coordinate = st.floats(min_value=0, max_value=700_000, allow_nan=False, allow_infinity=False)
_point = st.builds(Point, easting=_coordinate, northing=_coordinate)
_needs = st.sampled_from(list(Need))
# PostgreSQL cannot store NUL in text; the store refuses it up front (test_nul_in_text_is_refused).
# Any text a council could type: no NUL (PostgreSQL refuses it) and no lone surrogates (not valid Unicode text,
# which pydantic rightly refuses before anything is stored).
_text = partial(st.text, alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))
_dates = st.dates(min_value=date(2001, 9, 1), max_value=date(2024, 8, 31))


@st.composite
def instances(draw: Any) -> Instance:
    n_localities = draw(st.integers(0, 3))
    localities = tuple(
        Locality(id=f"L{i}", name=f"Locality {i}", centroid=draw(_point), in_area=draw(st.booleans()))
        for i in range(n_localities)
    )
    locality_ids = [x.id for x in localities]
    maybe_locality = st.sampled_from([None, *locality_ids])
    settings_: list[Setting] = []
    for i in range(draw(st.integers(0, 6))):
        low = draw(st.integers(-2, 20))
        high = draw(st.integers(low, 20))
        capacity = draw(st.integers(0, 500))
        phases = sorted({phase_of_ncy(n) for n in range(low, high + 1)})
        caps = draw(st.dictionaries(st.sampled_from(phases), st.integers(0, capacity), max_size=2))
        status = draw(st.sampled_from(list(SettingStatus)))
        opens = draw(st.one_of(st.none(), st.integers(2020, 2030)))
        settings_.append(
            Setting(
                id=f"S{i}", name=f"Setting {i} – Ünïcode & 'quotes'", kind=draw(st.sampled_from(list(SettingKind))),
                designations=draw(st.frozensets(_needs, max_size=4)), ncy_min=low, ncy_max=high,
                capacity=capacity, capacity_by_phase=caps, cost_per_place=draw(st.integers(0, 200_000)),
                location=draw(_point), locality_id=draw(maybe_locality), in_area=draw(st.booleans()),
                status=status, opens_year=opens,
                closes_year=None if opens is None else draw(st.one_of(st.none(), st.just(opens + 3))),
                host_setting_id=draw(st.sampled_from([None, *[s.id for s in settings_]])),
                urn=draw(st.one_of(st.none(), st.integers(100_000, 999_999))),
            )
        )
    setting_ids = [s.id for s in settings_]
    learners: list[Learner] = []
    for i in range(draw(st.integers(0, 8))):
        primary = draw(_needs)
        secondary = draw(st.one_of(st.none(), st.sampled_from([n for n in Need if n != primary])))
        use_birth = draw(st.booleans())
        learners.append(
            Learner(
                id=f"LRN-{i}", ncy=None if use_birth else draw(st.integers(-2, 20)),
                birth_date=draw(_dates) if use_birth else None, primary_need=primary, secondary_need=secondary,
                home=draw(_point), locality_id=draw(maybe_locality),
                current_setting_id=draw(st.sampled_from([None, *setting_ids])),
                requested_setting_ids=tuple(draw(st.permutations(setting_ids))[: draw(st.integers(0, 3))]),
                pinned_setting_id=draw(st.sampled_from([None, *setting_ids])),
                looked_after=draw(st.booleans()), excluded=draw(st.booleans()),
                at_risk_of_exclusion=draw(st.booleans()), suspensions=draw(st.integers(0, 9)),
                needs_transport=draw(st.booleans()),
                max_journey_minutes=draw(st.one_of(st.none(), st.integers(1, 120))),
                plan_start=draw(st.one_of(st.none(), _dates)), plan_end=draw(st.one_of(st.none(), _dates)),
                setting_start=draw(st.one_of(st.none(), _dates)),
            )
        )
    if len(learners) >= 2 and draw(st.booleans()):
        learners[0] = learners[0].model_copy(update={"sibling_group": "SIB"})
        learners[1] = learners[1].model_copy(update={"sibling_group": "SIB"})
    teams = tuple(
        OutreachTeam(id=f"T{i}", name=f"Team {i}", specialisms=draw(st.frozensets(_needs, min_size=1, max_size=3)),
                     hours_per_week=draw(st.floats(0, 500, allow_nan=False)),
                     locality_ids=draw(st.frozensets(st.sampled_from(locality_ids), max_size=2))
                     if locality_ids else frozenset(),
                     base=draw(st.one_of(st.none(), _point)))
        for i in range(draw(st.integers(0, 2)))
    )
    forecasts: list[NeedForecast] = []
    if locality_ids:
        for _ in range(draw(st.integers(0, 3))):
            quantiles = sorted(draw(st.lists(st.floats(0, 1000, allow_nan=False), min_size=3, max_size=3)))
            forecasts.append(NeedForecast(academic_year=draw(st.integers(2026, 2035)), need=draw(_needs),
                                          phase=draw(st.sampled_from(list(Phase))),
                                          locality_id=draw(st.sampled_from(locality_ids)),
                                          p10=quantiles[0], p50=quantiles[1], p90=quantiles[2]))
    return Instance(name=draw(_text(min_size=1, max_size=30).filter(str.strip)), base_year=2026,
                    localities=localities, settings=tuple(settings_), learners=tuple(learners), teams=teams,
                    forecasts=tuple(forecasts),
                    metadata=draw(st.dictionaries(_text(max_size=5), st.integers() | _text(max_size=5),
                                                  max_size=3)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(instance=instances())
def test_generated_instances_round_trip_on_sqlite(sqlite_engine: Engine, instance: Instance) -> None:
    assert _round_trip(sqlite_engine, instance) == instance


@pytest.mark.postgres
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(instance=instances())
def test_generated_instances_round_trip_on_postgresql(postgres_engine: Engine, instance: Instance) -> None:
    assert _round_trip(postgres_engine, instance) == instance


def test_travel_times_round_trip_and_follow_an_overwrite(engine: Engine, tiny_instance: Instance) -> None:
    from planner.domain.models import TravelTime

    learner_id, setting_id = tiny_instance.learners[0].id, tiny_instance.settings[0].id
    locality_id = tiny_instance.localities[0].id
    timed = tiny_instance.replace(travel_times=(
        TravelTime(origin_id=learner_id, destination_id=setting_id, minutes=37.5),
        TravelTime(origin_id=locality_id, destination_id=setting_id, minutes=12.0),
    ))
    with session_scope(engine) as session:
        instance_id = store.save_instance(session, timed, "test")
    with Session(engine) as session:
        loaded = store.load_instance(session, instance_id)
    assert loaded.travel_matrix == {(learner_id, setting_id): 37.5, (locality_id, setting_id): 12.0}
    # Overwriting with an instance that has no matrix leaves none behind (no pair can point at a lost record).
    with session_scope(engine) as session:
        store.overwrite_instance(session, instance_id, tiny_instance, "test")
    with Session(engine) as session:
        assert store.load_instance(session, instance_id).travel_times == ()
