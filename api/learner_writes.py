"""Checking one learner's write (POST or PATCH) against the stored instance without loading it.

The whole-instance check (`planner.domain.models.find_integrity_problems`) costs 1.3 s on a 20,000-learner county
(issue 18, item 5). A learner's write can only break the rules that involve that learner, so only those are
checked, by reading just the rows they involve:
- its own references and NCY (`learner_problems`, the rule the whole-instance check runs per learner), against the
  settings and locality it names and the instance's base year;
- sibling groups (a group needs two or more members): the group it joins must have another member, and the group
  it leaves must not be left with exactly one.
Learner ids are unique per instance (a database constraint; POST answers 409 first). A learner is not a travel
time's destination, and a write keeps its id, so travel times cannot break.

A learner's DELETE (`delete_learner`) likewise checks only what the learner's absence can break: the sibling group
it leaves (409 when one member would be left), and the learner's own journey times, which go with the record.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.problems import ProblemError
from api.routes._common import integrity_problem
from api.tables import LearnerRow, LocalityRow, SettingRow, TeamRow, TravelTimeRow
from planner.domain.models import InstanceIntegrityError, IntegrityProblem, Learner, learner_problems


def check_learner_write(session: Session, instance_id: int, base_year: int, learner: Learner,
                        previous: Learner | None) -> None:
    """422 problem (the whole-instance check's shape) when writing `learner` (replacing `previous`, or new) into
    the instance of `base_year` would leave the instance invalid."""
    problems = learner_problems(learner, base_year, _known_localities(session, instance_id, learner, previous),
                                _known_settings(session, instance_id, learner, previous))
    problems += _sibling_problems(session, instance_id, learner, previous)
    if problems:
        raise integrity_problem(InstanceIntegrityError(problems))


def _setting_ids(learner: Learner | None) -> set[str]:
    if learner is None:
        return set()
    return {s for s in (learner.current_setting_id, learner.pinned_setting_id, *learner.requested_setting_ids) if s}


def _known_settings(session: Session, instance_id: int, learner: Learner, previous: Learner | None) -> set[str]:
    """The settings the learner names that exist. Those the stored record already named are known to: a setting
    cannot be deleted while a learner refers to it (DELETE answers 409), so only newly named ones are looked up."""
    named = _setting_ids(learner)
    still_named = named & _setting_ids(previous)
    new = named - still_named
    if not new:
        return still_named
    return still_named | set(session.exec(select(SettingRow.setting_id).where(
        col(SettingRow.instance_id) == instance_id, col(SettingRow.setting_id).in_(new))).all())


def _known_localities(session: Session, instance_id: int, learner: Learner, previous: Learner | None) -> set[str]:
    """{the learner's locality} when it exists (unchanged from the stored record: known to, as for settings)."""
    if learner.locality_id is None:
        return set()
    if previous is not None and previous.locality_id == learner.locality_id:
        return {learner.locality_id}
    return set(session.exec(select(LocalityRow.locality_id).where(
        col(LocalityRow.instance_id) == instance_id, col(LocalityRow.locality_id) == learner.locality_id)).all())


def _other_members(session: Session, instance_id: int, group: str, learner_id: str) -> list[str]:
    """Up to two other learners in a sibling group (two are enough to decide every rule)."""
    return list(session.exec(select(LearnerRow.learner_id).where(
        col(LearnerRow.instance_id) == instance_id, col(LearnerRow.sibling_group) == group,
        col(LearnerRow.learner_id) != learner_id).order_by(col(LearnerRow.position)).limit(2)).all())


def _sibling_problems(session: Session, instance_id: int, learner: Learner,
                      previous: Learner | None) -> list[IntegrityProblem]:
    problems = []
    group = learner.sibling_group
    if group is not None and not _other_members(session, instance_id, group, learner.id):
        problems.append(IntegrityProblem(record="learner", record_id=learner.id, field="sibling_group",
                                         message=f"sibling group {group!r} has only one member"))
    left = previous.sibling_group if previous is not None else None
    if left is not None and left != group:
        remaining = _other_members(session, instance_id, left, learner.id)
        if len(remaining) == 1:  # the one left behind would be a group of one
            problems.append(IntegrityProblem(record="learner", record_id=remaining[0], field="sibling_group",
                                             message=f"sibling group {left!r} has only one member"))
    return problems


def delete_learner(session: Session, instance_id: int, learner_id: str, sibling_group: str | None) -> None:
    """Delete one learner and its own journey times (travel times whose origin is the learner), or a 409 problem
    when the learner's sibling group would be left with one member (`find_integrity_problems`' rule)."""
    remaining = _other_members(session, instance_id, sibling_group, learner_id) if sibling_group else []
    if len(remaining) == 1:
        problem = IntegrityProblem(record="learner", record_id=remaining[0], field="sibling_group",
                                   message=f"sibling group {sibling_group!r} has only one member")
        checked = integrity_problem(InstanceIntegrityError([problem]))
        raise ProblemError(409, "Conflict", f"deleting learner {learner_id!r} would break the instance: "
                           f"{checked.detail}", errors=checked.errors)
    if not _is_locality_or_team(session, instance_id, learner_id):  # origins share one column with those ids
        session.execute(delete(TravelTimeRow).where(col(TravelTimeRow.instance_id) == instance_id,
                                                    col(TravelTimeRow.origin_id) == learner_id))
    session.execute(delete(LearnerRow).where(col(LearnerRow.instance_id) == instance_id,
                                             col(LearnerRow.learner_id) == learner_id))


def _is_locality_or_team(session: Session, instance_id: int, record_id: str) -> bool:
    locality = session.exec(select(LocalityRow.id).where(col(LocalityRow.instance_id) == instance_id,
                                                         col(LocalityRow.locality_id) == record_id)).first()
    team = session.exec(select(TeamRow.id).where(col(TeamRow.instance_id) == instance_id,
                                                 col(TeamRow.team_id) == record_id)).first()
    return locality is not None or team is not None
