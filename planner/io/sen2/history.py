"""Several of a council's yearly SEN2 returns as snapshots for the cohort forecast (planner.forecast.cohort).

Each return (a folder of module CSVs, the XML, or a zip of either: `planner.io.sen2.source`) is read with the same
numbered rules as `placeplan import sen2` (`planner.io.sen2.rules`, `planner.io.sen2.assemble`), but only what the
cohort model needs is kept, per child with a plan active on the census date: the pseudonymous id (the reader's
HMAC of the UPN, so the same child has the same id in every return), the NCY in that academic year (from the birth
date, which is then dropped), the primary need, and the type of provision of the main placement. Postcodes are not
read at all (the model has no area yet), names never leave the record parser.

Type of provision, from the placement the return names (SEN2 2025 module 5b: URN, UKPRN, SENsetting, the SEN unit
and resourced provision indicators), against the council's GIAS settings, with the same assumptions as
`planner.io.placement_refs` (which stores them): a unit/resourced-provision indicator is that kind of base; a URN
in the extract is its setting's kind, a URN not in it an independent or non-maintained special school (where most
out-of-area URNs outside a council's extract are); a UKPRN not in it an FE college; no URN/UKPRN (a SENsetting
such as home education, NEET, awaiting a place) or no placement recorded: "none".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from planner.domain.calendar import academic_year_of, ncy_for
from planner.domain.codes import Need, SettingKind
from planner.domain.models import Setting
from planner.forecast.cohort import Snapshot
from planner.forecast.rates import KIND_INDEX, NEED_INDEX, NONE_KIND
from planner.io.report import ImportReport, ImportValidationError
from planner.io.sen2 import assemble, rules
from planner.io.sen2 import schema as s
from planner.io.sen2.model import PlacementRef
from planner.io.sen2.reader import pseudonym
from planner.io.sen2.source import load_return


def provision_kind(ref: PlacementRef | None, by_id: Mapping[str, Setting], by_ukprn: Mapping[int, Setting]) -> str:
    """The type of provision of a main placement (module docstring), a `KIND_LABELS` value."""
    if ref is None or (ref.urn is None and ref.ukprn is None):
        return NONE_KIND
    if ref.urn is not None:
        if ref.sen_unit or ref.resourced_provision:
            return SettingKind.SEN_UNIT.value if ref.sen_unit else SettingKind.RESOURCED_PROVISION.value
        found = by_id.get(str(ref.urn))
        return found.kind.value if found is not None else SettingKind.INDEPENDENT_SPECIAL.value
    found = by_ukprn.get(ref.ukprn) if ref.ukprn is not None else None
    return found.kind.value if found is not None else SettingKind.FE_COLLEGE.value


def read_snapshot(source: Path, settings: Sequence[Setting], pseudonym_key: str = "") -> Snapshot:
    """One return as a snapshot: persons with a problem under the return's rules are left out and counted."""
    out = rules.Findings()
    raw = load_return(Path(source), out)
    header = raw.records(s.SEN2)
    census = rules.census_date(out, None, header)
    if out.fatal or census is None:
        report = ImportReport(source=raw.source)
        report.problems = list(out.problems)
        raise ImportValidationError(report)
    rules.links(out, raw.tables)
    cases = assemble.cases(out, assemble.parse(out, raw), census)
    by_id = {x.id: x for x in settings}
    by_ukprn = {x.ukprn: x for x in settings if x.ukprn is not None}
    year = academic_year_of(census)
    bad = out.bad_persons
    ids: list[str] = []
    ncy: list[int] = []
    need: list[int] = []
    kind: list[int] = []
    for case in cases:
        if case.person.rec.person in bad or case.person.birth is None:
            continue
        ids.append(pseudonym(pseudonym_key, case.person.rec, raw.format == "xml"))
        ncy.append(ncy_for(case.person.birth, year))
        need.append(NEED_INDEX[Need(case.primary) if case.primary else Need.NSA])  # as the SEN2 import
        kind.append(KIND_INDEX[provision_kind(case.main.ref if case.main else None, by_id, by_ukprn)])
    return Snapshot(year=census.year, ids=tuple(ids), ncy=np.array(ncy, dtype=np.int64),
                    need=np.array(need, dtype=np.int64), kind=np.array(kind, dtype=np.int64),
                    left_out=len(cases) - len(ids))


def read_returns(sources: Sequence[Path], settings: Sequence[Setting], pseudonym_key: str = "") -> list[Snapshot]:
    """Several returns, oldest first; two returns for the same January census is an error."""
    snapshots = sorted((read_snapshot(p, settings, pseudonym_key) for p in sources), key=lambda x: x.year)
    years = [x.year for x in snapshots]
    if len(set(years)) != len(years):
        raise ValueError(f"two returns for the same census year: {years}")
    return snapshots


def return_sources(paths: Sequence[Path]) -> list[Path]:
    """The returns named: a zip, XML or module-CSV folder each, or a folder holding several of them."""
    found: list[Path] = []
    for path in paths:
        inner = sorted(p for p in path.iterdir() if p.suffix.lower() in (".zip", ".xml") or p.is_dir()) \
            if path.is_dir() and not any(p.suffix.lower() == ".csv" for p in path.iterdir()) else []
        found.extend(inner or [path])
    return found
