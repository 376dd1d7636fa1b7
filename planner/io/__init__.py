"""Importers for the files councils hold: GIAS establishment extracts, learner CSVs, travel matrices.

Each importer validates every row and reports problems by spreadsheet row and column (`ImportReport`). Bad input
imports nothing (raises `ImportValidationError`) unless `skip_invalid=True`. Postcodes are never stored or logged.
"""

from planner.io.gias import GiasImport, read_gias
from planner.io.learners import LearnerImport, read_learners
from planner.io.report import ImportReport, ImportValidationError, RowProblem
from planner.io.travel_matrix import TravelMatrixImport, read_travel_matrix

__all__ = [
    "GiasImport",
    "ImportReport",
    "ImportValidationError",
    "LearnerImport",
    "RowProblem",
    "TravelMatrixImport",
    "read_gias",
    "read_learners",
    "read_travel_matrix",
]
