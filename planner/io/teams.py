"""Import a council's outreach teams: CSV `team_id,name,specialisms,hours_per_week,localities,easting,northing`.

`specialisms` are `;`-separated need codes (SEN2 / GIAS spellings, e.g. `ASD;SLCN`); `hours_per_week` the
practitioner hours a school week gives for casework; `localities` `;`-separated locality ids (blank = every
locality); `easting,northing` the base the team travels from (both blank = no base: travel is not counted). The
`localities`, `easting` and `northing` columns may be left out.

Every row is checked; a bad file imports nothing (ImportValidationError with the report) unless `skip_invalid`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from planner.domain.codes import Need, parse_need
from planner.domain.models import OutreachTeam
from planner.io.localities import check_point_columns, parse_point
from planner.io.report import ImportReport, ImportValidationError
from planner.io.tabular import Source, check_identifier, open_table, parse_float

TEAM_ID = "team_id"
NAME = "name"
SPECIALISMS = "specialisms"
HOURS = "hours_per_week"
LOCALITIES = "localities"
REQUIRED_COLUMNS = (TEAM_ID, NAME, SPECIALISMS, HOURS)
NAME_LENGTH = 120  # OutreachTeam.name's limit
MAX_HOURS = 10_000.0  # a whole county's service is a few hundred hours a week; more is a typing error


class TeamImport(NamedTuple):
    """The teams read, in file order, and the validation report."""

    teams: tuple[OutreachTeam, ...]
    report: ImportReport


def _identity(row_number: int, row: dict[str, str], report: ImportReport) -> tuple[str, str] | None:
    team_id, name = row[TEAM_ID], row[NAME]
    ok = True
    try:
        check_identifier(team_id)
    except ValueError as error:
        report.add_problem(row_number, TEAM_ID, team_id, str(error).removeprefix("expected "))
        ok = False
    if not name or len(name) > NAME_LENGTH:
        report.add_problem(row_number, NAME, name, f"a name of 1 to {NAME_LENGTH} characters")
        ok = False
    return (team_id, name) if ok else None


def _specialisms(row_number: int, text: str, report: ImportReport) -> frozenset[Need] | None:
    """The `;`-separated need codes; a team specialises in at least one need."""
    parts = [part.strip() for part in text.split(";") if part.strip()]
    expected = f"need codes separated by ';' ({', '.join(n.value for n in Need)})"
    if not parts:
        report.add_problem(row_number, SPECIALISMS, text, expected)
        return None
    needs: set[Need] = set()
    for part in parts:
        try:
            needs.add(parse_need(part))
        except ValueError:
            report.add_problem(row_number, SPECIALISMS, part, expected)
            return None
    return frozenset(needs)


def _hours(row_number: int, text: str, report: ImportReport) -> float | None:
    try:
        return parse_float(text, low=0.0, high=MAX_HOURS)
    except ValueError as error:
        report.add_problem(row_number, HOURS, text, str(error).removeprefix("expected "))
        return None


def _localities(row_number: int, text: str, known: set[str] | None, report: ImportReport) -> frozenset[str] | None:
    """The `;`-separated locality ids (blank = every locality); with `known`, each must be one of them."""
    ids = [part.strip() for part in text.split(";") if part.strip()]
    for locality_id in ids:
        try:
            check_identifier(locality_id)
        except ValueError as error:
            report.add_problem(row_number, LOCALITIES, locality_id, str(error).removeprefix("expected "))
            return None
        if known is not None and locality_id not in known:
            report.add_problem(row_number, LOCALITIES, locality_id,
                               "a locality of the instance (`placeplan localities list`), or blank for all")
            return None
    return frozenset(ids)


def _team(row_number: int, row: dict[str, str], known: set[str] | None, report: ImportReport) -> OutreachTeam | None:
    """One row as a team, or None with its problems added to the report."""
    identity = _identity(row_number, row, report)
    needs = _specialisms(row_number, row[SPECIALISMS], report)
    hours = _hours(row_number, row[HOURS], report)
    localities = _localities(row_number, row.get(LOCALITIES, ""), known, report)
    base_ok, base = parse_point(row_number, row, report)
    if identity is None or needs is None or hours is None or localities is None or not base_ok:
        return None
    return OutreachTeam(id=identity[0], name=identity[1], specialisms=needs, hours_per_week=hours,
                        locality_ids=localities, base=base)


def read_teams(source: Source, *, known_locality_ids: Collection[str] | None = None,
               skip_invalid: bool = False) -> TeamImport:
    """Read an outreach teams CSV; with `known_locality_ids`, every locality named must be one of them.

    Raises ImportValidationError carrying the report when any row is bad (or there is no row), unless
    `skip_invalid` is True (then the bad rows are left out and listed).
    """
    report, _header, rows = open_table(source, REQUIRED_COLUMNS, check_point_columns)
    known = set(known_locality_ids) if known_locality_ids is not None else None
    teams: list[OutreachTeam] = []
    first_row: dict[str, int] = {}
    for row_number, row in rows:
        report.rows_read += 1
        # A team id already on an earlier row (valid or not): which row is right cannot be guessed
        earlier = first_row.setdefault(row[TEAM_ID], row_number) if row[TEAM_ID] else row_number
        if earlier != row_number:
            report.add_problem(row_number, TEAM_ID, row[TEAM_ID], f"each team once (row {earlier} has it)")
        team = _team(row_number, row, known, report)
        if team is None or earlier != row_number:
            continue
        teams.append(team)
        report.rows_valid += 1
    if report.rows_read == 0:
        report.add_problem(1, TEAM_ID, "", "at least one team row under the header")
    if report.problems and (not skip_invalid or report.rows_read == 0):
        raise ImportValidationError(report)
    return TeamImport(tuple(teams), report)
