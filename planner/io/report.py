"""The validation report every importer returns: what was read, what was wrong, where.

Row numbers are the ones a spreadsheet user sees: the header is row 1, so the first data row is row 2. An importer
either returns all its records or raises `ImportValidationError` carrying the report (nothing half-imported),
unless the caller asked to skip invalid rows, in which case the report lists what was skipped.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RowProblem(BaseModel):
    """One bad value: which row and column, the value found (never a postcode) and what was expected."""

    model_config = ConfigDict(frozen=True)

    row: int = Field(description="Spreadsheet row number (header = 1, first data row = 2); 1 for header problems")
    column: str = Field(description="Column name as written in the file")
    value: str = Field(description="The value found (blank when missing)")
    expected: str = Field(description="What the importer expected instead, in plain words")
    rule: str = Field(default="", description="Id of the numbered rule broken (e.g. 'SEN2-007'), when the importer "
                                               "has numbered rules")
    module: str = Field(default="", description="Module (file or record type) of a multi-file return, e.g. 'person'")

    def __str__(self) -> str:
        shown = repr(self.value) if self.value else "blank"
        where = f"row {self.row}, column {self.column!r}"
        if self.module:
            where = f"{self.module} {where}"
        if self.rule:
            where = f"{self.rule} {where}"
        return f"{where}: {shown}; expected {self.expected}"


class ImportReport(BaseModel):
    """Outcome of reading one file: counts, problems (rows rejected), warnings and notes (rows kept)."""

    source: str = Field(default="", description="File name or description of the input")
    rows_read: int = 0
    rows_valid: int = 0
    rows_skipped: int = Field(default=0, description="Rows deliberately left out (e.g. closed schools)")
    problems: list[RowProblem] = Field(default_factory=list, description="Errors: each rejects its row")
    warnings: list[RowProblem] = Field(default_factory=list, description="Values replaced by a default; row kept")
    notes: list[str] = Field(default_factory=list, description="File-level remarks (encoding, ignored columns)")

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows_invalid(self) -> int:
        return len({p.row for p in self.problems})

    def add_problem(self, row: int, column: str, value: object, expected: str) -> None:
        self.problems.append(RowProblem(row=row, column=column, value=_text(value), expected=expected))

    def add_warning(self, row: int, column: str, value: object, expected: str) -> None:
        self.warnings.append(RowProblem(row=row, column=column, value=_text(value), expected=expected))

    def summary(self, limit: int = 20) -> str:
        """A readable summary for error messages and the CLI."""
        lines = [
            f"{self.source or 'input'}: {self.rows_read} row(s) read, {self.rows_valid} valid, "
            f"{self.rows_invalid} invalid, {self.rows_skipped} skipped"
        ]
        lines += [f"  error: {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more error(s)")
        lines += [f"  warning: {w}" for w in self.warnings[:limit]]
        if len(self.warnings) > limit:
            lines.append(f"  ... and {len(self.warnings) - limit} more warning(s)")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


class ImportValidationError(ValueError):
    """Raised when a file has bad rows and skipping was not asked for; `report` says which and why."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(report.summary())


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value)
