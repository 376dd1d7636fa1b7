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
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.routes._common import instance_row, integrity_problem
from api.tables import LearnerRow, LocalityRow, SettingRow
from planner.domain.models import InstanceIntegrityError, IntegrityProblem, Learner, learner_problems


def check_learner_write(session: Session, instance_id: int, learner: Learner, previous: Learner | None) -> None:
    """422 problem (the whole-instance check's shape) when writing `learner` (replacing `previous`, or new) would
    leave the instance invalid."""
    base_year = instance_row(session, instance_id).base_year
    problems = learner_problems(learner, base_year, _known_localities(session, instance_id, learner),
                                _known_settings(session, instance_id, learner))
    problems += _sibling_problems(session, instance_id, learner, previous)
    if problems:
        raise integrity_problem(InstanceIntegrityError(problems))


def _known_settings(session: Session, instance_id: int, learner: Learner) -> set[str]:
    named = {learner.current_setting_id, learner.pinned_setting_id, *learner.requested_setting_ids} - {None}
    if not named:
        return set()
    return set(session.exec(select(SettingRow.setting_id).where(
        col(SettingRow.instance_id) == instance_id, col(SettingRow.setting_id).in_(named))).all())


def _known_localities(session: Session, instance_id: int, learner: Learner) -> set[str]:
    if learner.locality_id is None:
        return set()
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
