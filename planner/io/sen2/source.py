"""Opening a SEN2 return -- a folder of module CSVs, one XML file, or a zip of either -- into `RawReturn` tables.

CSV files are matched to modules by name, case-insensitively: the COLLECT Blade export names
`Blade-Export_<DD-MM-YYYY>_<module>.csv` ([blade-csv] `make-file-names`) or plain `<module>.csv`, where the module
token ignores punctuation (`namedplan.csv`, `named-plan.csv` and `Named_Plan.csv` are all module 4a). Other files
are ignored (and noted). Text is utf-8 (with or without BOM), else Windows-1252, else latin-1.

The XML layout (`<Message>` > `<Header>`, `<Persons>` > `<Person>` > `<Requests>` > `<Assessment>` > `<NamedPlan>` >
`<PlanDetail>`; `<Requests>` > `<ActivePlans>` > `<PlacementDetail>`, `<SENneed>`) is the one of the 2024 schema
transcribed by liia-tools ([xsd], see `schema`); element names are compared in lower case and a namespace prefix is
dropped. A record's fields are its child elements that hold text; the header's fields are the leaves under
`<CollectionDetails>` and `<Source>`. The file is parsed with expat (no external entities or DTDs are fetched).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from xml.parsers import expat

from planner.io.report import ImportReport
from planner.io.sen2 import rules
from planner.io.sen2 import schema as s
from planner.io.sen2.records import RawReturn, Record, Table
from planner.io.tabular import CsvFieldTooLong, decode, guarded

MAX_UNZIPPED_BYTES = 2 * 1024**3  # a zip that would inflate beyond this is refused (a return is megabytes)
_BLADE_NAME = re.compile(r"^blade-export_[^_]*_(.+)$")
_MODULE_BY_TOKEN = MappingProxyType({token: module for module, token in s.FILE_TOKEN.items()})
_MODULE_BY_ELEMENT = MappingProxyType({element.lower(): module for module, element in s.XML_ELEMENT.items()})
_PERSONS = s.XML_PERSONS.lower()

FileBytes = Callable[[], bytes]


def module_of(file_name: str) -> str | None:
    """The module a CSV file holds, from its name (None when the name names no module)."""
    name = PurePosixPath(file_name).name.lower()
    if not name.endswith(".csv") or name.startswith("."):
        return None  # not a CSV, or a hidden file (macOS "._person.csv" resource forks in zips)
    stem = name.removesuffix(".csv")
    match = _BLADE_NAME.match(stem)
    token = re.sub(r"[^a-z0-9]", "", match[1] if match else stem)
    return _MODULE_BY_TOKEN.get(token)


def load_return(source: Path, out: rules.Findings) -> RawReturn:
    """Read a folder, an .xml or a .zip; header problems (SEN2-001/002) go to `out`."""
    if source.is_dir():
        files = {p.name: p.read_bytes for p in sorted(source.iterdir()) if p.is_file()}
        return csv_return(files, source.name, out)
    if not source.exists():
        raise FileNotFoundError(f"cannot read {source}: no such file or folder")
    suffix = source.suffix.lower()
    if suffix == ".xml":
        return xml_return(source.read_bytes(), source.name, out)
    if suffix == ".zip":
        return _zip_return(source, out)
    raise ValueError(f"{source}: expected a folder of SEN2 module CSVs, an .xml file, or a .zip of either")


def _zip_return(source: Path, out: rules.Findings) -> RawReturn:
    with zipfile.ZipFile(source) as archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
        if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
            raise ValueError(f"{source.name}: the zip inflates to more than {MAX_UNZIPPED_BYTES} bytes")
        xml_members = [m for m in members if m.filename.lower().endswith(".xml")]
        if len(xml_members) == 1:
            return xml_return(archive.read(xml_members[0]), f"{source.name}:{xml_members[0].filename}", out)
        if len(xml_members) > 1:
            raise ValueError(f"{source.name}: holds {len(xml_members)} XML files; expected one return")
        files = {m.filename: _reader(archive, m) for m in members}
        return csv_return(files, source.name, out)


def _reader(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> FileBytes:
    return lambda: archive.read(member)


# -- CSV ---------------------------------------------------------------------------------------------------------------

def csv_return(files: dict[str, FileBytes], name: str, out: rules.Findings) -> RawReturn:
    """Module CSVs (file name -> its bytes) into tables; unmatched files are noted, missing modules reported."""
    found: dict[str, list[str]] = {}
    for file_name in files:
        module = module_of(file_name)
        if module is not None:
            found.setdefault(module, []).append(file_name)
    rules.module_files(out, found)
    raw = RawReturn(format="csv", source=name)
    for module, names in found.items():
        if len(names) == 1:
            raw.tables[module] = csv_table(module, PurePosixPath(names[0]).name, files[names[0]]())
            out.names[module] = raw.tables[module].names
            rules.required_columns(out, raw.tables[module])
    raw.ignored = sorted(PurePosixPath(f).name for f in files if module_of(f) is None)
    return raw


def csv_table(module: str, file_name: str, raw: bytes) -> Table:
    """One module file: header names (as written, by lower case) and rows numbered as a spreadsheet shows them."""
    scratch = ImportReport()
    text = decode(raw, scratch)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    lower = [name.lower() for name in header]
    table = Table(module=module, where=file_name, names={low: name for low, name in zip(lower, header, strict=True)
                                                          if low})
    table.encoding = scratch.notes[0] if scratch.notes else ""
    id_column = s.TABLE_ID[module]
    parent_column = s.TABLE_ID[s.PARENT[module]] if module in s.PARENT else ""
    try:
        for number, values in guarded(reader, text, header):
            if not any(values) or not any(v.strip() for v in values):
                continue  # blank line (spreadsheets often leave some at the end)
            row = {low: value.strip() for low, value in zip(lower, values, strict=False) if low}
            table.records.append(Record(number, row.get(id_column, ""), row.get(parent_column, "") if parent_column
                                        else "", row))
    except CsvFieldTooLong as error:
        raise CsvFieldTooLong(error.row, error.column, file_name) from None
    return table


# -- XML ---------------------------------------------------------------------------------------------------------------

class _XmlBuilder:
    """Expat handlers that turn the message into module records as the file streams past.

    An element is a field when nothing opened inside it (its end follows its own start): its text goes to the
    innermost open record. Elements that start a record (`_MODULE_BY_ELEMENT`) open a new one.
    """

    def __init__(self, line: Callable[[], int]) -> None:
        self.line = line
        self.tables = {module: Table(module=module, where=f"<{s.XML_ELEMENT[module]}>") for module in s.MODULES}
        self.open: list[tuple[str, str, bool]] = []  # (lower-case name, name as written, starts a record)
        self.records: list[tuple[str, Record]] = []
        self.chars: list[str] = []
        self.leaf = False
        self.saw_persons = False

    def start(self, name: str, _attributes: object) -> None:
        tag = name.rsplit(":", 1)[-1]
        low = tag.lower()
        module = _MODULE_BY_ELEMENT.get(low)
        if module is not None:
            table = self.tables[module]
            enclosing = self.records[-1] if self.records else None
            # Only the parent module's record is a parent: misplaced records are orphans (SEN2-004).
            parent = enclosing[1].key if enclosing and enclosing[0] == s.PARENT.get(module) else ""
            rec = Record(self.line(), str(len(table.records) + 1), parent, {})
            table.records.append(rec)
            self.records.append((module, rec))
        elif low == _PERSONS:
            self.saw_persons = True
        self.open.append((low, tag, module is not None))
        self.chars = []
        self.leaf = True

    def text(self, data: str) -> None:
        self.chars.append(data)

    def end(self, _name: str) -> None:
        low, tag, is_record = self.open.pop()
        leaf, self.leaf = self.leaf, False
        if is_record:
            self.records.pop()
        elif leaf and self.records:
            module, rec = self.records[-1]
            rec.values[low] = "".join(self.chars).strip()
            names = self.tables[module].names
            if low not in names:
                names[low] = tag


def xml_return(data: bytes, name: str, out: rules.Findings) -> RawReturn:
    """Parse an XML return (streamed through expat) into module tables."""
    out.xml = True
    parser = expat.ParserCreate()
    parser.buffer_text = True
    builder = _XmlBuilder(lambda: parser.CurrentLineNumber)
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    raw = RawReturn(format="xml", source=name)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        rules.xml_unreadable(out, error.lineno, expat.ErrorString(error.code) or "unreadable")
        return raw
    raw.tables = {module: table for module, table in builder.tables.items() if table.records}
    for module, table in raw.tables.items():
        out.names[module] = table.names
    rules.xml_parts(out, has_header=bool(builder.tables[s.SEN2].records),
                    has_persons=builder.saw_persons)
    return raw


def describe(raw: RawReturn) -> Iterable[str]:
    """Notes on what was read: the format, the modules and their record counts, files ignored."""
    counts = ", ".join(f"{module} {len(raw.records(module))}" for module in s.MODULES if module in raw.tables)
    yield f"{raw.format.upper()} return {raw.source}: records by module: {counts}"
    encodings = sorted({t.encoding for t in raw.tables.values() if t.encoding})
    if encodings:
        yield "; ".join(encodings)
    if raw.ignored:
        yield f"files ignored (not a SEN2 module name): {', '.join(raw.ignored)}"
