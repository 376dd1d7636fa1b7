"""Benchmark: read a 20,000-person SEN2 return (CSV folder and XML) with `planner.io.sen2.reader.read_sen2`.

    .venv/bin/python benchmarks/sen2_import.py [--persons 20000] [--seed 2025]

Generates fictional persons (random but deterministic for a seed: ages 0-25, SEN2 2025 needs, a URN, UKPRN or
SENsetting placement, about one plan in ten ceased and one person in twenty with a request only), writes them with
`planner.io.sen2.writer` into a temporary folder (Blade export CSVs, then one XML file), and times `read_sen2` on
each with an in-memory postcode lookup (`lookup_from_mapping`, 5,000 made-up ZZ postcodes). Prints one line per
format: `persons=20000 format=csv wall=1.23 s`. Writing the files is not timed. The target is well under 30 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from planner.io.postcode_lookup import PostcodeFix, lookup_from_mapping
from planner.io.sen2 import schema
from planner.io.sen2.model import Sen2Person, Sen2Placement
from planner.io.sen2.reader import read_sen2
from planner.io.sen2.writer import write_sen2_csv, write_sen2_xml

REFERENCE_DATE = date(2025, 1, 16)
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # inward-code letters


def _postcodes(rng: random.Random, count: int) -> dict[str, PostcodeFix]:
    codes: dict[str, PostcodeFix] = {}
    while len(codes) < count:
        code = f"ZZ{rng.randint(1, 99)} {rng.randint(0, 9)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}"
        codes[code] = PostcodeFix(easting=rng.uniform(380_000, 480_000), northing=rng.uniform(380_000, 480_000),
                                  lsoa=f"E0{rng.randint(1_000_000, 1_999_999)}")
    return codes


def _placement(rng: random.Random, entry: date) -> Sen2Placement:
    kind = rng.random()
    if kind < 0.8:
        unit = rng.random() < 0.05
        return Sen2Placement(urn=rng.randint(100_000, 149_999), sen_unit=unit,
                             resourced_provision=not unit and rng.random() < 0.05, entry_date=entry)
    if kind < 0.95:
        return Sen2Placement(ukprn=rng.randint(10_000_000, 10_099_999), entry_date=entry)
    return Sen2Placement(sen_setting=rng.choice(sorted(schema.SEN_SETTINGS)), entry_date=entry)


def make_persons(count: int, seed: int) -> tuple[list[Sen2Person], dict[str, PostcodeFix]]:
    """`count` fictional persons and the postcode fixes of their homes."""
    rng = random.Random(seed)
    fixes = _postcodes(rng, 5_000)
    postcodes = sorted(fixes)
    needs = sorted(schema.SEN_TYPES)
    persons = []
    for number in range(count):
        birth = REFERENCE_DATE - timedelta(days=rng.randint(2 * 365, 24 * 365))
        start = birth + timedelta(days=rng.randint(365, max(366, (REFERENCE_DATE - birth).days - 30)))
        has_plan = rng.random() > 0.05
        ceased = has_plan and rng.random() < 0.1
        primary, secondary = rng.sample(needs, 2)
        persons.append(Sen2Person(
            person_table_id=str(500_000 + number), upn=f"Z{rng.randint(10**11, 10**12 - 1):012d}",
            forename=f"Forename{number}", surname=f"Surname{number}", birth_date=birth, sex=rng.choice("MFU"),
            postcode=rng.choice(postcodes),
            needs=((primary, 1), (secondary, 2)) if rng.random() < 0.4 else ((primary, 1),),
            plan_start=start if has_plan else None,
            cease_date=start + timedelta(days=rng.randint(0, (REFERENCE_DATE - start).days)) if ceased else None,
            last_review=start + timedelta(days=rng.randint(0, (REFERENCE_DATE - start).days)),
            placement=_placement(rng, start), request_received=start - timedelta(days=rng.randint(60, 200)),
        ))
    return persons, fixes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    persons, fixes = make_persons(args.persons, args.seed)
    lookup = lookup_from_mapping(fixes)
    with tempfile.TemporaryDirectory(prefix="sen2-bench-") as folder:
        sources = {
            "csv": write_sen2_csv(Path(folder) / "csv", persons, REFERENCE_DATE, "999")[0].parent,
            "xml": write_sen2_xml(Path(folder) / "return.xml", persons, REFERENCE_DATE, "999"),
        }
        for kind, source in sources.items():
            started = time.perf_counter()
            result = read_sen2(source, postcode_lookup=lookup, pseudonym_key="benchmark", skip_invalid=True)
            wall = time.perf_counter() - started
            if result.report.problems:
                print(f"unexpected problems: {result.report.summary(limit=5)}", file=sys.stderr)
                return 1
            print(f"persons={args.persons} format={kind} wall={wall:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
