"""Time `placeplan forecast backtest --all` on a national-size folder of published tables (not run by CI).

The shipped extract (tests/data/sen2-2025, ../shared/data/sen2-2025) holds England and four LAs only, so this writes
a synthetic caseload.csv the size of the real one: 153 LAs x 7 census years (January 2019-2025), each with the
"All EHC plans" row and 45 other breakdown rows (the real file's breakdowns: age, sex, ethnicity, years in place,
age at start), with growth like England's (about 10% a year; DfE caseload.csv, ehcplans) and LA-specific noise.
Then it runs the backtest command in this process and on a Dask LocalCluster, and checks both CSVs are identical.

    python benchmarks/forecast_backtest.py [--las 153] [--no-dask]

Last line: `forecast backtest --all: las=N rows=R local_wall=.. s dask_local_cluster_wall=.. s identical=True`.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
           "region_name", "new_la_code", "old_la_code", "la_name", "breakdown_topic", "breakdown", "ehcplans",
           "special_la_maintained", "special_academy_free", "special_independent", "special_non_maintained",
           "special_total")
YEARS = tuple(range(2019, 2026))
OTHER_BREAKDOWNS = 45


def synthetic_tables(folder: Path, n_las: int, seed: int = 1) -> Path:
    """caseload.csv with England (the sum) and `n_las` LAs growing ~10% a year with persistent and yearly noise."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(np.log(3000), 0.6, n_las)
    growth = rng.normal(0.10, 0.02, n_las)[:, None] + rng.normal(0, 0.03, (n_las, len(YEARS) - 1))
    plans = size[:, None] * np.exp(np.concatenate([np.zeros((n_las, 1)), np.cumsum(growth, axis=1)], axis=1))
    share = np.clip(rng.normal(0.33, 0.05, n_las)[:, None] - 0.008 * np.arange(len(YEARS))[None, :], 0.1, 0.6)
    special = plans * share
    rows = []
    for y, year in enumerate(YEARS):
        period = f"{year - 1}{year % 100:02d}"
        rows.append(_row(period, "National", "", "England", plans[:, y].sum(), special[:, y].sum()))
        for i in range(n_las):
            code, name = f"E0{6000001 + i}", f"Synthetic {i + 1}"
            rows.append(_row(period, "Local authority", code, name, plans[i, y], special[i, y]))
            rows.extend(_row(period, "Local authority", code, name, plans[i, y] / 9, special[i, y] / 9,
                             topic=f"Child or young persons age {k}") for k in range(OTHER_BREAKDOWNS))
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "caseload.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _row(period: str, level: str, code: str, name: str, plans: float, special: float,
         topic: str = "All EHC plans") -> dict[str, str]:
    parts = [int(special * s) for s in (0.5, 0.3, 0.15, 0.05)]
    return {"time_period": period, "time_identifier": "Academic year", "geographic_level": level,
            "country_code": "E92000001", "country_name": "England", "region_code": "", "region_name": "",
            "new_la_code": code, "old_la_code": "", "la_name": name, "breakdown_topic": topic, "breakdown": topic,
            "ehcplans": str(int(plans)), "special_la_maintained": str(parts[0]),
            "special_academy_free": str(parts[1]), "special_independent": str(parts[2]),
            "special_non_maintained": str(parts[3]), "special_total": str(sum(parts))}


def _backtest(folder: Path, out: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    from api.cli.main import app

    started = time.perf_counter()
    result = CliRunner().invoke(app, ["forecast", "backtest", "--sen2-tables", str(folder), "--train-to", "2022",
                                      "--horizon", "3", "--all", "--csv", str(out)], env=env)
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return time.perf_counter() - started, result.output.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--las", type=int, default=153)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = synthetic_tables(Path(tmp) / "tables", args.las)
        rows = sum(1 for _ in (folder / "caseload.csv").open(encoding="utf-8")) - 1
        local_wall, line = _backtest(folder, Path(tmp) / "local.csv")
        print(line)
        dask_part = ""
        if not args.no_dask:
            from distributed import LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
                env = {**os.environ, "PLACEPLAN_DASK_SCHEDULER": cluster.scheduler_address}
                dask_wall, _ = _backtest(folder, Path(tmp) / "dask.csv", env)
            same = (Path(tmp) / "local.csv").read_text() == (Path(tmp) / "dask.csv").read_text()
            dask_part = f" dask_local_cluster_wall={dask_wall:.2f} s identical={same}"
        print(f"forecast backtest --all: las={args.las} rows={rows} local_wall={local_wall:.2f} s{dask_part}")


if __name__ == "__main__":
    main()
