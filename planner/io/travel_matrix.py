"""Import a travel matrix: known journey minutes between places, overriding the distance-based estimate.

CSV with the columns `origin_id,destination_id,minutes` (one journey per row; ids are learner, locality or setting
ids as the council uses them). The result is the mapping `planner.domain.travel.TravelModel(matrix=...)` takes.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import NamedTuple

from planner.io.report import ImportReport, ImportValidationError
from planner.io.tabular import Source, check_identifier, open_table, parse_float

logger = logging.getLogger(__name__)

ORIGIN = "origin_id"
DESTINATION = "destination_id"
MINUTES = "minutes"
REQUIRED_COLUMNS = (ORIGIN, DESTINATION, MINUTES)
MAX_MINUTES = 24 * 60.0  # a journey longer than a day is a typing error, not a school run


class TravelMatrixImport(NamedTuple):
    """Minutes by (origin_id, destination_id) and the validation report."""

    matrix: dict[tuple[str, str], float]
    report: ImportReport


def read_travel_matrix(
    source: Source,
    *,
    known_ids: Collection[str] | None = None,
    skip_invalid: bool = False,
) -> TravelMatrixImport:
    """Read a travel matrix CSV; with `known_ids`, both ends of every journey must be known ids.

    A pair given twice is an error (which value is right cannot be guessed). Raises ImportValidationError carrying
    the report when any row is bad, unless `skip_invalid` is True.
    """
    report, header, rows = open_table(source, REQUIRED_COLUMNS)
    known = set(known_ids) if known_ids is not None else None

    matrix: dict[tuple[str, str], float] = {}
    first_row: dict[tuple[str, str], int] = {}
    for row_number, row in rows:
        report.rows_read += 1
        before = len(report.problems)
        ends: list[str] = []
        for column in (ORIGIN, DESTINATION):
            value = row[column]
            try:
                check_identifier(value)
            except ValueError as error:
                report.add_problem(row_number, column, value, str(error).removeprefix("expected "))
                continue
            if known is not None and value not in known:
                report.add_problem(row_number, column, value, "a known learner, locality or setting id")
                continue
            ends.append(value)
        minutes: float | None = None
        try:
            minutes = parse_float(row[MINUTES], low=0.0, high=MAX_MINUTES)
        except ValueError as error:
            report.add_problem(row_number, MINUTES, row[MINUTES], str(error).removeprefix("expected "))
        if len(ends) == 2:
            pair = (ends[0], ends[1])
            if pair in first_row:
                report.add_problem(row_number, DESTINATION, ends[1],
                                   f"each origin/destination pair once (row {first_row[pair]} already gives it)")
            else:
                first_row[pair] = row_number
        if len(report.problems) > before or minutes is None:
            continue
        matrix[(ends[0], ends[1])] = minutes
        report.rows_valid += 1

    if report.problems and not skip_invalid:
        raise ImportValidationError(report)
    logger.info("travel matrix %s: %d rows, %d journeys, %d problems", report.source, report.rows_read, len(matrix),
                len(report.problems))
    return TravelMatrixImport(matrix, report)
