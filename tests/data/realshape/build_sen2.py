"""Write Vale of Zed's SEN2 person-level return (census 16 January 2025) from persons.csv, in both layouts councils
export: a folder of module CSVs (`sen2_return/`) and the XML, zipped (`sen2_return_xml.zip`), with the project's own
writer
(planner.io.sen2.writer). Run after build_council.py: `.venv/bin/python tests/data/realshape/build_sen2.py`.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from datetime import date
from pathlib import Path

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


if __name__ == "__main__":
    main()
