"""Postcode load benchmark: a full-size synthetic OS Code-Point Open zip through `placeplan import postcodes`.

    .venv/bin/python benchmarks/postcodes_load.py [--postcodes 1700000] [--areas 120] [--seed 2026]
                                                  [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                                  [--keep DIR]

Generates, deterministically from the seed, a zip shaped like the published product (`Doc/Code-Point_Open_Column_
Headers.csv`, `Doc/metadata.txt`, one headerless `Data/CSV/<area>.csv` per postcode area, rows like
`"AB1 0AA",10,394251,806376,"E92000001","E19000001","E18000001","","E06000001","E05000001"`): `--postcodes` live
postcodes over `--areas` areas of uneven size (1- and 2-letter areas, districts 1-99 with a few lettered ones,
sectors 0-9, units digit + two letters), clustered coordinates, plus 0.3% positional-quality-90 rows (no
coordinates, skipped by the importer). Then times the CLI in a fresh process (start-up and migration included) on
a fresh SQLite file, and with `--postgres URL` on a fresh schema of that server (created, used through
`options=-csearch_path=<schema>`, dropped afterwards; nothing else in the database is touched). Progress goes to
stderr; stdout gets one line of figures per database:

    postcodes=1700000 format=codepoint-open db=sqlite wall=41.2 s rows_per_s=41000 table_mb=95.3
"""

from __future__ import annotations

import argparse
import os
import random
import string
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.postcodes import postcode_count, table_size_bytes  # noqa: E402

UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters Royal Mail uses in inward codes
UNITS = [a + b for a in UNIT_LETTERS for b in UNIT_LETTERS]
SHORT_HEADERS = "PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC"
LONG_HEADERS = ("Postcode,Positional_quality_indicator,Eastings,Northings,Country_code,NHS_regional_HA_code,"
                "NHS_HA_code,Admin_county_code,Admin_district_code,Admin_ward_code")
QUALITIES = (10, 10, 10, 10, 10, 10, 20, 30, 40, 50, 60)
NO_COORDINATES_SHARE = 0.003


def area_codes(count: int, rng: random.Random) -> list[str]:
    """`count` distinct postcode areas: about one in eight a single letter, the rest two letters."""
    singles = rng.sample(string.ascii_uppercase, min(count // 8, 20))
    pairs = sorted({a + b for a in string.ascii_uppercase for b in string.ascii_uppercase})
    return sorted(singles + rng.sample(pairs, count - len(singles)))


def area_sizes(total: int, areas: int, rng: random.Random) -> list[int]:
    """Uneven area sizes summing to `total` (a log-normal spread, as real areas range from ~2k to ~60k)."""
    weights = [rng.lognormvariate(0, 0.6) for _ in range(areas)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[-1] += total - sum(sizes)
    return sizes


def area_rows(area: str, size: int, index: int, rng: random.Random) -> list[str]:
    """The CSV lines of one area: `size` postcodes with coordinates, and a few without."""
    centre = (rng.uniform(120_000, 620_000), rng.uniform(40_000, 1_150_000))
    districts = max(1, min(99, -(-size // 2_500) + rng.randint(0, 6)))
    per_district = [size // districts + (1 if d < size % districts else 0) for d in range(districts)]
    lines: list[str] = []
    for number, count in enumerate(per_district, start=1):
        letter = rng.choice("ABCEHMNPRVWXY") if len(area) == 1 and number <= 2 and rng.random() < 0.5 else ""
        outward = f"{area}{number}{letter}"
        spot = (centre[0] + rng.gauss(0, 9_000), centre[1] + rng.gauss(0, 9_000))
        district_code = f"E0{6 + index % 3}{index * 100 + number:06d}"
        per_sector = -(-count // 10)
        written = 0
        for sector in range(10):
            take = min(per_sector, count - written, len(UNITS))
            ward = f"E05{(index * 1000 + number * 10 + sector):06d}"
            for unit in sorted(rng.sample(UNITS, take)):
                postcode = f"{outward:<4}{sector}{unit}" if len(outward) < 4 else f"{outward}{sector}{unit}"
                if rng.random() < NO_COORDINATES_SHARE:
                    lines.append(f'"{postcode}",90,0,0,"E92000001","","","","{district_code}","{ward}"\n')
                x = min(max(int(spot[0] + rng.gauss(0, 1_500)), 1_000), 699_000)
                y = min(max(int(spot[1] + rng.gauss(0, 1_500)), 1_000), 1_249_000)
                lines.append(f'"{postcode}",{rng.choice(QUALITIES)},{x},{y},"E92000001","E19000001","E18000001",'
                             f'"","{district_code}","{ward}"\n')
            written += take
    return lines


def write_codepoint_zip(path: Path, postcodes: int, areas: int, seed: int) -> None:
    rng = random.Random(seed)
    codes = area_codes(areas, rng)
    sizes = area_sizes(postcodes, areas, rng)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("Doc/Code-Point_Open_Column_Headers.csv", f"{SHORT_HEADERS}\n{LONG_HEADERS}\n")
        metadata = "".join(f"{code}: {size}\n" for code, size in zip(codes, sizes, strict=True))
        archive.writestr("Doc/metadata.txt", f"SYNTHETIC CODE-POINT OPEN (benchmark, seed {seed})\n{metadata}")
        for index, (code, size) in enumerate(zip(codes, sizes, strict=True)):
            archive.writestr(f"Data/CSV/{code.lower()}.csv", "".join(area_rows(code, size, index, rng)))


def placeplan_command() -> list[str]:
    script = Path(sys.executable).with_name("placeplan")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from api.cli.main import app; app()"]


def run_import(archive: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([*placeplan_command(), "import", "postcodes", str(archive), "--replace"], env=env,
                          cwd=ROOT, stdout=sys.stderr, stderr=sys.stderr, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"placeplan import postcodes failed with exit code {done.returncode}")
    return wall


def figures(url: str, wall: float, label: str) -> str:
    engine = create_engine(url)
    try:
        count, size = postcode_count(engine), table_size_bytes(engine)
    finally:
        engine.dispose()
    return (f"postcodes={count} format=codepoint-open db={label} wall={wall:.1f} s "
            f"rows_per_s={count / wall:.0f} table_mb={size / 1e6:.1f}")


def bench_sqlite(archive: Path, folder: Path) -> str:
    data = folder / "sqlite-data"
    data.mkdir()
    env = {**os.environ, "PLACEPLAN_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    wall = run_import(archive, env)
    return figures(f"sqlite:///{data / 'placeplan.db'}", wall, "sqlite")


def bench_postgres(archive: Path, server_url: str) -> str:
    from api.settings import normalise_database_url

    server = normalise_database_url(server_url)
    schema = f"bench_postcodes_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)
    try:
        wall = run_import(archive, {**os.environ, "DATABASE_URL": url})
        return figures(url, wall, "postgresql")
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postcodes", type=int, default=1_700_000)
    parser.add_argument("--areas", type=int, default=120)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", metavar="URL", help="also load into a fresh schema on this PostgreSQL server")
    parser.add_argument("--keep", type=Path, help="write the zip into this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="placeplan-postcodes-") as temp:
        folder = Path(temp)
        archive = (args.keep or folder) / "codepo_gb.zip"
        started = time.perf_counter()
        write_codepoint_zip(archive, args.postcodes, args.areas, args.seed)
        print(f"generated {archive} ({archive.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        lines = [bench_sqlite(archive, folder)]
        if args.postgres:
            lines.append(bench_postgres(archive, args.postgres))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
