"""The return as read, before validation: one `Table` of `Record`s per module, whatever the file format.

CSV modules keep their table-id keys [blade-csv]; XML records get keys made up from their order in the file and
the key of the record they are nested in, so both formats link the same way. A record's `row` is what a person
fixing the file looks for: the spreadsheet row (header = row 1) of a CSV, the line of the record's start tag
(e.g. `<PlacementDetail>`) in an XML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Record:
    """One row of a module: field values by lower-case field name (stripped text, '' when blank or absent)."""

    row: int
    key: str
    parent: str
    values: dict[str, str]
    person: int = -1  # index of the person record it belongs to, once linked (-1 while unknown or orphaned)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass
class Table:
    """A module's records, where they came from (file or element name) and its field names as written."""

    module: str
    where: str
    names: dict[str, str] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    encoding: str = ""  # CSV: the note on how the file was decoded


@dataclass
class RawReturn:
    """All modules read from one return ('csv' or 'xml'), by module name."""

    format: str
    source: str
    tables: dict[str, Table] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # files that name no module

    def records(self, module: str) -> list[Record]:
        table = self.tables.get(module)
        return table.records if table is not None else []
