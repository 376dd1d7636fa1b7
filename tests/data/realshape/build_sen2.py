"""Write Vale of Zed's SEN2 person-level return (census 16 January 2025) from persons.csv, in both layouts councils
export: a folder of module CSVs (`sen2_return/`) and the XML, zipped (`sen2_return_xml.zip`), with the project's own
writer
(planner.io.sen2.writer). Run after build_council.py: `.venv/bin/python tests/data/realshape/build_sen2.py`.

It also writes five consecutive yearly returns, January 2021..2025 (`sen2_history/sen2_<year>.zip`, each a zip of
the module CSVs) from the person-level process in build_sen2_history.py, for the cohort forecast's backtest.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from datetime import date
from pathlib import Path

from build_sen2_history import build_history

from planner.io.gias import read_gias
from planner.io.sen2.model import Sen2Person
from planner.io.sen2.writer import read_persons_csv, write_sen2_csv, write_sen2_xml

HERE = Path(__file__).resolve().parent
CENSUS = date(2025, 1, 16)
LA_CODE = "990"


def main() -> None:
    persons = read_persons_csv(HERE / "persons.csv")
    folder = HERE / "sen2_return"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    write_sen2_csv(folder, persons, CENSUS, LA_CODE)
    with tempfile.TemporaryDirectory() as work:
        xml = write_sen2_xml(Path(work) / "sen2_return.xml", persons, CENSUS, LA_CODE)
        with zipfile.ZipFile(HERE / "sen2_return_xml.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo(xml.name, date_time=(2025, 1, 16, 0, 0, 0))  # fixed: the same bytes every run
            archive.writestr(info, xml.read_bytes(), zipfile.ZIP_DEFLATED)
    print(f"wrote {len(persons)} persons to {folder.name}/ and sen2_return_xml.zip")
    write_history(persons)


def write_history(persons: list[Sen2Person]) -> None:
    """sen2_history/sen2_<year>.zip: one zipped CSV return per census year (fixed timestamps: same bytes)."""
    settings = read_gias(HERE / "gias_extract.csv", la_code=LA_CODE, skip_invalid=True).settings
    folder = HERE / "sen2_history"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for census, people in build_history(persons, settings):
        with tempfile.TemporaryDirectory() as work:
            paths = write_sen2_csv(Path(work), people, census, LA_CODE)
            with zipfile.ZipFile(folder / f"sen2_{census.year}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
                for path in paths:
                    info = zipfile.ZipInfo(path.name, date_time=(census.year, census.month, census.day, 0, 0, 0))
                    archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
        print(f"wrote {len(people)} persons to sen2_history/sen2_{census.year}.zip")


if __name__ == "__main__":
    main()
