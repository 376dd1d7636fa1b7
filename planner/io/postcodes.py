"""Read the open postcode products councils download into (postcode, grid reference, area codes) records.

Two products, detected automatically (`open_postcodes`):

- **OS Code-Point Open**, as published: a zip holding `Data/CSV/<area>.csv` (one headerless CSV per postcode area)
  and `Doc/` (with `Code-Point_Open_Column_Headers.csv`); also accepted unzipped (a folder of those CSVs) or as a
  single area CSV. Great Britain only, live postcodes only; no LSOA.
- **ONS Postcode Directory (ONSPD) / National Statistics Postcode Lookup (NSPL)**: one CSV with a header row, plain
  or zipped (the zips hold `Data/<name>_UK.csv`, per-area copies under `Data/multi_csv/`, and lookups under
  `Documents/`); terminated postcodes are kept and flagged, and the LSOA, ward and district codes come with them.

Everything streams (zip members and files are read row by row; nothing holds the whole product), so memory stays
flat for the ~1.7 million postcodes of Great Britain (~2.7 million rows with the ONSPD's terminated ones). Bad rows
(a malformed postcode, non-numeric or out-of-grid coordinates) are counted and reported by file, row and column,
the `planner.io.report` way, and skipped; rows without a grid reference are skipped and counted by reason. Row
numbers are the line numbers a spreadsheet shows: 1 is the first line of a headerless Code-Point Open file, 2 the
first data row under an ONSPD header. The postcodes here are public reference data, not learners' postcodes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, NamedTuple

from pydantic import Field, SerializeAsAny

from planner.io.postcode_lookup import normalise_postcode
from planner.io.report import ImportReport, RowProblem

CODEPOINT_OPEN = "codepoint-open"
ONSPD = "onspd"

# OS Code-Point Open data files carry no header; the layout is the one in the product's
# Doc/Code-Point_Open_Column_Headers.csv (two lines: short codes PC,PQ,EA,NO,... then these long names). Checked
# against public loaders of the product, e.g. LibrariesHacked/plymouth-librarydata db/tables/tbl_postcodes.sql and
# the field table in cantzakas/postgis-demo data/london/cpo.md (pc, pq, ea, no, cy, rh, lh, cc, dc, wc).
CODEPOINT_COLUMNS = ("Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
                     "NHS_regional_HA_code", "NHS_HA_code", "Admin_county_code", "Admin_district_code",
                     "Admin_ward_code")
CODEPOINT_HEADERS_FILE = "code-point_open_column_headers.csv"
# Positional quality 90 is the lowest of the seven PQI values (OS postcode ontology, PositionalQualityIndicator:
# "PQ10 is the most accurate and PQ90 the least"): the postcode has no coordinates (written as 0, 0).
NO_COORDINATES_QUALITY = "90"

# ONSPD / NSPL column names, lower case as ONS publishes them (header of ONSPD_FEB_2023_UK.csv: pcd,pcd2,pcds,dointr,
# doterm,oscty,ced,oslaua,osward,...,oseast1m,osnrth1m,osgrdind,...,lsoa11,...,lsoa21,...; NSPL_MAY_2025_UK.csv:
# pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,osgrdind,oa21,cty,ced,laua,ward,...,lsoa21,...). `doterm`
# is the termination date (blank while the postcode is live). Matched case-insensitively.
ONSPD_POSTCODE = ("pcd", "pcds")
ONSPD_EASTING = "oseast1m"
ONSPD_NORTHING = "osnrth1m"
ONSPD_TERMINATED = "doterm"
ONSPD_GRID_INDICATOR = "osgrdind"
ONSPD_LSOA = ("lsoa21", "lsoa11")  # prefer the 2021 LSOAs
ONSPD_WARD = ("osward", "ward")  # ONSPD / NSPL
ONSPD_DISTRICT = ("oslaua", "laua")  # ONSPD / NSPL
# ONSPD grid reference indicator 9: "no grid reference available" (ONSPD positional quality codes, as documented
# for postcodes.io's `quality` field, which carries osgrdind).
NO_GRID_INDICATOR = "9"
# Northern Ireland postcodes (area BT) carry Irish Grid references in the ONSPD, not British National Grid
# (postcodes.io field documentation for eastings/northings): they cannot be mixed with GB coordinates.
IRISH_GRID_AREA = "BT"
# Pseudo area codes (a country letter then 99999999, e.g. S99999999) stand for "no area of this type" (Channel
# Islands, Isle of Man, postcodes without an output area; ONSPD user guide, geography field notes).
PSEUDO_CODE_SUFFIX = "99999999"

# Grid metres accepted, as for learners' Easting/Northing (planner.io.learners): beyond this is not in Great Britain.
MAX_EASTING = 800_000
MAX_NORTHING = 1_400_000
MAX_CODE_LENGTH = 16  # the `postcodes` table's lsoa/ward/district columns
PROBLEMS_KEPT = 200  # problems listed in the report; all are counted
READ_BUFFER = 1 << 20


class PostcodeRecord(NamedTuple):
    """One postcode: normalised ("SW1A1AA"), British National Grid metres, area codes where the product has them."""

    postcode: str
    easting: int
    northing: int
    lsoa: str | None
    ward: str | None
    district: str | None
    terminated: bool


class PostcodeFormatError(ValueError):
    """The file is not a postcode product this reader knows, or too little of it could be read to trust it."""


class PostcodeProblem(RowProblem):
    """A bad row in one of the product's files."""

    file: str = Field(description="File (or zip member) the row is in")

    def __str__(self) -> str:
        return f"{self.file}: {super().__str__()}"


class PostcodeReport(ImportReport):
    """What reading a postcode product found: rows read, records given, rows skipped by reason, bad rows."""

    format: str = Field(default="", description=f"{CODEPOINT_OPEN!r} or {ONSPD!r}")
    files_read: int = 0
    problems_total: int = Field(default=0, description="Bad rows (only the first few are listed in `problems`)")
    terminated: int = Field(default=0, description="Records of terminated postcodes (ONSPD / NSPL)")
    skipped_reasons: dict[str, int] = Field(default_factory=dict, description="Rows left out, by reason")
    # PostcodeProblems, dumped with their `file` (a plain list[RowProblem] would dump RowProblem's fields only).
    problems: list[SerializeAsAny[RowProblem]] = Field(default_factory=list,
                                                       description="Bad rows: the first PROBLEMS_KEPT")

    @property
    def rows_invalid(self) -> int:
        return self.problems_total

    def skip(self, reason: str) -> None:
        self.rows_skipped += 1
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1

    def bad_row(self, file: str, row: int, column: str, value: object, expected: str, reason: str) -> None:
        """Count a rejected row under `reason`, listing it (file, row, column) while fewer than PROBLEMS_KEPT are."""
        self.problems_total += 1
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1
        if len(self.problems) < PROBLEMS_KEPT:
            self.problems.append(PostcodeProblem(file=file, row=row, column=column, value=_text(value),
                                                 expected=expected))


class _Counts:
    """Per-file tallies kept out of the (pydantic) report in the hot loop, added to it when the file is done."""

    __slots__ = ("read", "terminated", "valid")

    def __init__(self) -> None:
        self.read = self.valid = self.terminated = 0

    def add_to(self, report: PostcodeReport) -> None:
        report.rows_read += self.read
        report.rows_valid += self.valid
        report.terminated += self.terminated


@dataclass(frozen=True)
class _Entry:
    """One CSV of the product: a zip member or a file."""

    name: str
    size: int
    open: Callable[[], IO[bytes]]


class _Counting(io.RawIOBase):
    """A byte stream that counts what has been read from it (for a progress bar over the whole product)."""

    def __init__(self, inner: IO[bytes], counter: list[int]) -> None:
        self._inner = inner
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        self._counter[0] += len(data)
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


class PostcodeSource:
    """A postcode product opened for reading: its format, its data files, and `records()` to stream them.

    `report` fills in as `records()` is consumed; `bytes_read` / `total_bytes` (uncompressed) measure progress.
    """

    def __init__(self, path: Path, format: str, entries: Sequence[_Entry],
                 codepoint_layout: Mapping[str, int] | None = None) -> None:
        self.path = path
        self.format = format
        self.entries = tuple(entries)
        self.total_bytes = sum(entry.size for entry in entries)
        self.report = PostcodeReport(source=path.name, format=format)
        self._layout = dict(codepoint_layout or _default_layout())
        self._counter = [0]

    @property
    def bytes_read(self) -> int:
        return self._counter[0]

    def records(self) -> Iterator[PostcodeRecord]:
        """Every usable postcode, file by file; PostcodeFormatError at the end when the product did not read well."""
        for entry in self.entries:
            self.report.files_read += 1
            counts = _Counts()
            try:
                with self._text(entry) as handle:
                    if self.format == CODEPOINT_OPEN:
                        yield from _codepoint_rows(entry.name, handle, self._layout, self.report, counts)
                    else:
                        yield from _onspd_rows(entry.name, handle, self.report, counts)
            finally:
                counts.add_to(self.report)
        _check_plausible(self.report, self.path)

    def _text(self, entry: _Entry) -> io.TextIOWrapper:
        raw = io.BufferedReader(_Counting(entry.open(), self._counter), buffer_size=READ_BUFFER)
        return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def open_postcodes(path: Path | str) -> PostcodeSource:
    """Open a Code-Point Open zip / folder / area CSV or an ONSPD / NSPL CSV / zip, detecting which it is.

    FileNotFoundError when the path does not exist; PostcodeFormatError when it is neither product.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    entries = _entries(path)
    if not entries:
        raise PostcodeFormatError(f"{path.name}: no CSV file found (expected OS Code-Point Open or an ONSPD/NSPL CSV)")
    headers = [e for e in entries if PurePosixPath(e.name).name.lower() == CODEPOINT_HEADERS_FILE]
    data = [e for e in entries if e not in headers]
    published = [e for e in data if "/data/csv/" in "/" + e.name.lower()]
    if published:  # the Code-Point Open layout: Data/CSV/<area>.csv
        return PostcodeSource(path, CODEPOINT_OPEN, published, _layout_from(headers))
    onspd, codepoint = _classify(data)
    if onspd:
        main = [e for e in onspd if "multi_csv" not in e.name.lower()]
        return PostcodeSource(path, ONSPD, main or onspd)
    if codepoint:
        return PostcodeSource(path, CODEPOINT_OPEN, codepoint, _layout_from(headers))
    raise PostcodeFormatError(
        f"{path.name}: not a postcode product this importer knows: expected OS Code-Point Open (a zip with "
        "Data/CSV/<area>.csv, a folder of those CSVs, or one of them) or an ONSPD/NSPL CSV whose header names "
        "pcd or pcds, oseast1m and osnrth1m"
    )


def _entries(path: Path) -> list[_Entry]:
    """The CSV files of a folder, a zip or a single file, in name order."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
        return [_Entry(p.relative_to(path).as_posix(), p.stat().st_size, _file_opener(p)) for p in files]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(".csv")]
        return [_Entry(m.filename, m.file_size, _member_opener(path, m.filename))
                for m in sorted(members, key=lambda m: m.filename)]
    return [_Entry(path.name, path.stat().st_size, _file_opener(path))]


def _file_opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _member_opener(path: Path, name: str) -> Callable[[], IO[bytes]]:
    def open_member() -> IO[bytes]:
        archive = zipfile.ZipFile(path)
        try:
            return archive.open(name)  # keeps the archive's file open until the member is closed
        finally:
            archive.close()

    return open_member


def _first_row(entry: _Entry) -> list[str]:
    with entry.open() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as text:
        return next(csv.reader(text), [])


def _classify(entries: Sequence[_Entry]) -> tuple[list[_Entry], list[_Entry]]:
    """Entries whose first line is an ONSPD/NSPL header, and entries whose first line is a Code-Point Open row."""
    onspd: list[_Entry] = []
    codepoint: list[_Entry] = []
    for entry in entries:
        first = _first_row(entry)
        names = {name.strip().lower() for name in first}
        if names.intersection(ONSPD_POSTCODE) and {ONSPD_EASTING, ONSPD_NORTHING} <= names:
            onspd.append(entry)
        elif _looks_like_codepoint(first):
            codepoint.append(entry)
    return onspd, codepoint


def _looks_like_codepoint(fields: Sequence[str]) -> bool:
    if len(fields) < 4 or normalise_postcode(fields[0]) is None:
        return False
    return all(field.strip().isdigit() for field in fields[1:4])


def _default_layout() -> dict[str, int]:
    return {name: index for index, name in enumerate(CODEPOINT_COLUMNS)}


def _layout_from(headers: Sequence[_Entry]) -> dict[str, int]:
    """Column positions from Doc/Code-Point_Open_Column_Headers.csv (its long-name line), else the documented ones."""
    if not headers:
        return _default_layout()
    with headers[0].open() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as text:
        lines = [row for row in csv.reader(text) if any(cell.strip() for cell in row)]
    names = [cell.strip().lower() for cell in (lines[-1] if lines else [])]
    layout: dict[str, int] = {}
    for column in CODEPOINT_COLUMNS:
        if column.lower() in names:
            layout[column] = names.index(column.lower())
    missing = [c for c in CODEPOINT_COLUMNS[:4] if c not in layout]
    if missing:
        raise PostcodeFormatError(f"{headers[0].name}: the column headers do not name {', '.join(missing)}")
    return layout


def _codepoint_rows(file: str, handle: IO[str], layout: Mapping[str, int], report: PostcodeReport,
                    counts: _Counts) -> Iterator[PostcodeRecord]:
    """Records of one headerless Code-Point Open area CSV (quality-90 rows skipped and counted)."""
    at_postcode, at_quality = layout["Postcode"], layout["Positional_quality_indicator"]
    at_easting, at_northing = layout["Eastings"], layout["Northings"]
    at_district, at_ward = layout.get("Admin_district_code"), layout.get("Admin_ward_code")
    width = 1 + max(layout.values())
    for row_number, fields in enumerate(csv.reader(handle), start=1):
        if not fields:
            continue
        counts.read += 1
        if len(fields) < width:
            fields = fields + [""] * (width - len(fields))
        if fields[at_quality].strip() == NO_COORDINATES_QUALITY:
            report.skip("no coordinates (positional quality 90)")
            continue
        postcode = normalise_postcode(fields[at_postcode])
        if postcode is None:
            report.bad_row(file, row_number, "Postcode", fields[at_postcode], "a UK postcode", "malformed postcode")
            continue
        point = _grid(file, row_number, fields[at_easting], fields[at_northing], ("Eastings", "Northings"), report)
        if point is None:
            continue
        district = _code(fields[at_district]) if at_district is not None else None
        ward = _code(fields[at_ward]) if at_ward is not None else None
        if _too_long(file, row_number, (("Admin_district_code", district), ("Admin_ward_code", ward)), report):
            continue
        counts.valid += 1
        yield PostcodeRecord(postcode, point[0], point[1], None, ward, district, False)


@dataclass(frozen=True)
class _OnspdLayout:
    """Where the columns this reader uses are in one ONSPD / NSPL file (None: not in this edition)."""

    postcode: int
    postcode_name: str
    easting: int
    northing: int
    terminated: int | None
    grid: int | None
    lsoa: int | None
    ward: int | None
    district: int | None

    @classmethod
    def of(cls, header: Sequence[str]) -> _OnspdLayout:
        names = [name.strip().lower() for name in header]

        def first(options: tuple[str, ...]) -> int | None:
            return next((names.index(o) for o in options if o in names), None)

        postcode = first(ONSPD_POSTCODE)
        easting, northing = first((ONSPD_EASTING,)), first((ONSPD_NORTHING,))
        if postcode is None or easting is None or northing is None:
            raise PostcodeFormatError("the ONSPD/NSPL header must name pcd or pcds, oseast1m and osnrth1m")
        return cls(postcode=postcode, postcode_name=header[postcode].strip(), easting=easting, northing=northing,
                   terminated=first((ONSPD_TERMINATED,)), grid=first((ONSPD_GRID_INDICATOR,)),
                   lsoa=first(ONSPD_LSOA), ward=first(ONSPD_WARD), district=first(ONSPD_DISTRICT))


def _onspd_rows(file: str, handle: IO[str], report: PostcodeReport, counts: _Counts) -> Iterator[PostcodeRecord]:
    """Records of one ONSPD / NSPL CSV: terminated postcodes flagged, rows without a GB grid reference skipped."""
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None:
        return
    at = _OnspdLayout.of(header)
    width = 1 + max(i for i in (at.postcode, at.easting, at.northing, at.terminated, at.grid, at.lsoa, at.ward,
                                at.district) if i is not None)
    for row_number, fields in enumerate(reader, start=2):
        if not fields:
            continue
        counts.read += 1
        if len(fields) < width:
            fields = fields + [""] * (width - len(fields))
        postcode = normalise_postcode(fields[at.postcode])
        if postcode is None:
            report.bad_row(file, row_number, at.postcode_name, fields[at.postcode], "a UK postcode",
                           "malformed postcode")
            continue
        if postcode.startswith(IRISH_GRID_AREA) and postcode[2].isdigit():
            report.skip("Northern Ireland (Irish Grid references)")
            continue
        easting, northing = fields[at.easting].strip(), fields[at.northing].strip()
        if (at.grid is not None and fields[at.grid].strip() == NO_GRID_INDICATOR) or not (easting or northing):
            report.skip("no grid reference (osgrdind 9 or blank)")
            continue
        point = _grid(file, row_number, easting, northing, (header[at.easting], header[at.northing]), report)
        if point is None:
            continue
        lsoa, ward, district = (_code(fields[i]) if i is not None else None for i in (at.lsoa, at.ward, at.district))
        named = (("lsoa", lsoa), ("ward", ward), ("district", district))
        if _too_long(file, row_number, named, report):
            continue
        terminated = at.terminated is not None and bool(fields[at.terminated].strip())
        counts.valid += 1
        counts.terminated += terminated
        yield PostcodeRecord(postcode, point[0], point[1], lsoa, ward, district, terminated)


def _grid(file: str, row: int, easting_text: str, northing_text: str, columns: tuple[str, str],
          report: PostcodeReport) -> tuple[int, int] | None:
    """Whole grid metres (a decimal is rounded), or None after recording a bad row."""
    values: list[int] = []
    for text, column, high in ((easting_text, columns[0], MAX_EASTING), (northing_text, columns[1], MAX_NORTHING)):
        try:
            value = int(text) if text.strip().isdigit() else round(float(text))
        except (ValueError, OverflowError):
            report.bad_row(file, row, column, text, "British National Grid metres (a number)",
                           "non-numeric coordinates")
            return None
        if not 0 <= value <= high:
            report.bad_row(file, row, column, text, f"British National Grid metres from 0 to {high}",
                           "coordinates outside the grid")
            return None
        values.append(value)
    return values[0], values[1]


def _code(text: str) -> str | None:
    """An area code, or None when blank or a pseudo code."""
    code = text.strip()
    if not code or code.endswith(PSEUDO_CODE_SUFFIX):
        return None
    return code


def _too_long(file: str, row: int, codes: Sequence[tuple[str, str | None]], report: PostcodeReport) -> bool:
    for column, code in codes:
        if code is not None and len(code) > MAX_CODE_LENGTH:
            report.bad_row(file, row, column, code, f"an area code of at most {MAX_CODE_LENGTH} characters",
                           "area code too long")
            return True
    return False


def _check_plausible(report: PostcodeReport, path: Path) -> None:
    """Refuse a product that gave nothing, or whose rows were mostly bad (the wrong file, not a few bad rows)."""
    if report.rows_valid == 0:
        raise PostcodeFormatError(f"{path.name}: no postcode with a grid reference found ({report.rows_read} "
                                  f"row(s) read, {report.problems_total} bad)")
    if report.problems_total * 2 > report.rows_read:
        raise PostcodeFormatError(f"{path.name}: {report.problems_total} of {report.rows_read} rows are bad: "
                                  "this does not look like the product it claims to be")


def _text(value: object) -> str:
    return "" if value is None else str(value)
