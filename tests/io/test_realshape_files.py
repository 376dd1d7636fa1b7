"""The real-shape test council (tests/data/realshape): its files have the layouts real councils' files have.

Layouts are those documented in tests/data/realshape/README.md (GIAS edubasealldata 2025-04-22, OS Code-Point Open,
ONS NSPL May 2025); the counts are the README's figures block. Only the stdlib and the project's code are used.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import sys
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from planner.domain.codes import Need, SettingKind, SettingStatus
from planner.io import read_gias

DATA = Path(__file__).resolve().parents[1] / "data"
REALSHAPE = DATA / "realshape"
CENSUS = date(2025, 1, 16)
HOME = "990"

# GIAS "edubasealldata" columns in published order, downloads from 2025-04-22 on. Source: MastodonC/witan.gias
# src/witan/gias.clj `edubaseall-columns` (commit 763874c), less the columns its notes say were dropped:
# "RSCRegion (name)" (2024-07-17) and "OfstedLastInsp", "OfstedSpecialMeasures (code)", "OfstedSpecialMeasures
# (name)", "OfstedRating (name)" (2025-04-22).
GIAS_COLUMNS = [
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName", "TypeOfEstablishment (code)",
    "TypeOfEstablishment (name)", "EstablishmentTypeGroup (code)", "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)", "EstablishmentStatus (name)", "ReasonEstablishmentOpened (code)",
    "ReasonEstablishmentOpened (name)", "OpenDate", "ReasonEstablishmentClosed (code)",
    "ReasonEstablishmentClosed (name)", "CloseDate", "PhaseOfEducation (code)", "PhaseOfEducation (name)",
    "StatutoryLowAge", "StatutoryHighAge", "Boarders (code)", "Boarders (name)", "NurseryProvision (name)",
    "OfficialSixthForm (code)", "OfficialSixthForm (name)", "Gender (code)", "Gender (name)",
    "ReligiousCharacter (code)", "ReligiousCharacter (name)", "ReligiousEthos (name)", "Diocese (code)",
    "Diocese (name)", "AdmissionsPolicy (code)", "AdmissionsPolicy (name)", "SchoolCapacity", "SpecialClasses (code)",
    "SpecialClasses (name)", "CensusDate", "NumberOfPupils", "NumberOfBoys", "NumberOfGirls", "PercentageFSM",
    "TrustSchoolFlag (code)", "TrustSchoolFlag (name)", "Trusts (code)", "Trusts (name)", "SchoolSponsorFlag (name)",
    "SchoolSponsors (name)", "FederationFlag (name)", "Federations (code)", "Federations (name)", "UKPRN",
    "FEHEIdentifier", "FurtherEducationType (name)", "LastChangedDate", "Street", "Locality", "Address3", "Town",
    "County (name)", "Postcode", "SchoolWebsite", "TelephoneNum", "HeadTitle (name)", "HeadFirstName", "HeadLastName",
    "HeadPreferredJobTitle", "BSOInspectorateName (name)", "InspectorateReport", "DateOfLastInspectionVisit",
    "NextInspectionVisit", "TeenMoth (name)", "TeenMothPlaces", "CCF (name)", "SENPRU (name)", "EBD (name)",
    "PlacesPRU", "FTProv (name)", "EdByOther (name)", "Section41Approved (name)", "SEN1 (name)", "SEN2 (name)",
    "SEN3 (name)", "SEN4 (name)", "SEN5 (name)", "SEN6 (name)", "SEN7 (name)", "SEN8 (name)", "SEN9 (name)",
    "SEN10 (name)", "SEN11 (name)", "SEN12 (name)", "SEN13 (name)", "TypeOfResourcedProvision (name)",
    "ResourcedProvisionOnRoll", "ResourcedProvisionCapacity", "SenUnitOnRoll", "SenUnitCapacity", "GOR (code)",
    "GOR (name)", "DistrictAdministrative (code)", "DistrictAdministrative (name)", "AdministrativeWard (code)",
    "AdministrativeWard (name)", "ParliamentaryConstituency (code)", "ParliamentaryConstituency (name)",
    "UrbanRural (code)", "UrbanRural (name)", "GSSLACode (name)", "Easting", "Northing", "MSOA (name)", "LSOA (name)",
    "InspectorateName (name)", "SENStat", "SENNoStat", "BoardingEstablishment (name)", "PropsName",
    "PreviousLA (code)", "PreviousLA (name)", "PreviousEstablishmentNumber", "Country (name)", "UPRN", "SiteName",
    "QABName (code)", "QABName (name)", "EstablishmentAccredited (code)", "EstablishmentAccredited (name)",
    "QABReport", "CHNumber", "MSOA (code)", "LSOA (code)", "FSM", "AccreditationExpiryDate",
]
# (type code, type name) -> (group code, group name): witan.gias data/edubasealldata20250422-establishment-types.csv.
GIAS_TYPES = {
    ("01", "Community school"): ("4", "Local authority maintained schools"),
    ("02", "Voluntary aided school"): ("4", "Local authority maintained schools"),
    ("03", "Voluntary controlled school"): ("4", "Local authority maintained schools"),
    ("05", "Foundation school"): ("4", "Local authority maintained schools"),
    ("07", "Community special school"): ("5", "Special schools"),
    ("08", "Non-maintained special school"): ("5", "Special schools"),
    ("10", "Other independent special school"): ("5", "Special schools"),
    ("11", "Other independent school"): ("3", "Independent schools"),
    ("12", "Foundation special school"): ("5", "Special schools"),
    ("14", "Pupil referral unit"): ("4", "Local authority maintained schools"),
    ("18", "Further education"): ("1", "Colleges"),
    ("28", "Academy sponsor led"): ("10", "Academies"),
    ("32", "Special post 16 institution"): ("9", "Other types"),
    ("33", "Academy special sponsor led"): ("10", "Academies"),
    ("34", "Academy converter"): ("10", "Academies"),
    ("35", "Free schools"): ("11", "Free Schools"),
    ("36", "Free schools special"): ("11", "Free Schools"),
    ("42", "Academy alternative provision converter"): ("10", "Academies"),
    ("44", "Academy special converter"): ("10", "Academies"),
    ("45", "Academy 16-19 converter"): ("10", "Academies"),
}
SPECIAL_ACADEMY_TYPES = {"Academy special converter", "Academy special sponsor led", "Free schools special"}
GIAS_SEN = {
    "ASD - Autistic Spectrum Disorder", "SEMH - Social, Emotional and Mental Health",
    "MLD - Moderate Learning Difficulty", "SLCN - Speech, language and Communication", "PD - Physical Disability",
    "SLD - Severe Learning Difficulty", "PMLD - Profound and Multiple Learning Difficulty", "HI - Hearing Impairment",
    "VI - Visual Impairment", "MSI - Multi-Sensory Impairment", "SpLD - Specific Learning Difficulty",
    "OTH - Other Difficulty/Disability",
}
RP_TYPES = {"Resourced provision", "SEN unit", "Resourced provision and SEN unit", "Not applicable", ""}
# OS Code-Point Open: Doc/Code-Point_Open_Column_Headers.csv rows (abbreviated, full); data files are headerless.
CODEPOINT_HEADERS = ["PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC",
                     "Postcode,Positional_quality_indicator,Eastings,Northings,Country_code,NHS_regional_HA_code,"
                     "NHS_HA_code,Admin_county_code,Admin_district_code,Admin_ward_code"]
# ONS NSPL, May 2025 (NSPL_MAY_2025_UK.csv header).
NSPL_COLUMNS = ["pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m", "osgrdind", "oa21",
                "cty", "ced", "laua", "ward", "nhser", "ctry", "rgn", "pcon", "ttwa", "itl", "park", "lsoa21", "msoa21",
                "wz11", "sicbl", "bua24", "ruc21", "oac11", "lat", "long", "lep1", "lep2", "pfa", "imd", "icb"]
PERSON_COLUMNS = ["person_id", "upn", "forename", "surname", "birth_date", "sex", "postcode", "need1", "need2",
                  "plan_start", "cease_date", "last_review", "urn", "ukprn", "sen_setting", "sen_unit",
                  "resourced_provision", "entry_date", "request_received"]
SEN2_NEEDS = {"ASD", "HI", "MLD", "MSI", "OTH", "PD", "PMLD", "SEMH", "SLCN", "SLD", "SPLD", "VI"}
UPN_CHECK = "ABCDEFGHJKLMNPQRTUVWXYZ"
MAINSTREAM_TYPES = {"Community school", "Voluntary aided school", "Voluntary controlled school", "Foundation school",
                    "Academy converter", "Academy sponsor led", "Free schools", "Other independent school",
                    "Academy 16-19 converter"}
STATE_SPECIAL_TYPES = {"Community special school", "Foundation special school", *SPECIAL_ACADEMY_TYPES}


def _csv(name: str, encoding: str = "utf-8") -> list[dict[str, str]]:
    with (REALSHAPE / name).open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def gias() -> list[dict[str, str]]:
    return _csv("gias_extract.csv", encoding="cp1252")


@pytest.fixture(scope="module")
def persons() -> list[dict[str, str]]:
    return _csv("persons.csv")


@pytest.fixture(scope="module")
def nspl() -> list[dict[str, str]]:
    return _csv("nspl_extract.csv")


@pytest.fixture(scope="module")
def codepoint() -> dict[str, list[list[str]]]:
    """Code-Point Open records by archive member (Data/CSV/*.csv)."""
    with zipfile.ZipFile(REALSHAPE / "codepoint_open.zip") as archive:
        return {name: list(csv.reader(io.StringIO(archive.read(name).decode("ascii"), newline="")))
                for name in archive.namelist() if name.startswith("Data/CSV/")}


@pytest.fixture(scope="module")
def figures() -> dict[str, str]:
    """The README's generated figures block (key=value lines)."""
    text = (REALSHAPE / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- figures:start -->", 1)[1].split("<!-- figures:end -->", 1)[0]
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


def _normalised(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode).upper()


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- GIAS ---------------------------------------------------------------------------------------------------------

def test_gias_header_is_the_published_column_list() -> None:
    raw = (REALSHAPE / "gias_extract.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Windows-1252 / latin-1, as GIAS publishes it
    text = raw.decode("cp1252")
    first_line = text.split("\r\n", 1)[0]
    assert first_line == ",".join(f'"{column}"' for column in GIAS_COLUMNS)
    assert len(GIAS_COLUMNS) == 135 and "Sainte-Thérèse Catholic Primary School" in text
    assert "\n" not in text.replace("\r\n", "")  # CRLF line ends only
    for line in text.splitlines()[1:]:
        assert re.match(r'^\d{6},"\d{3}",', line)  # URN bare, LA code quoted


def test_gias_values_are_spelled_as_gias_spells_them(gias: list[dict[str, str]]) -> None:
    assert len(gias) > 100 and all(len(row) == len(GIAS_COLUMNS) for row in gias)
    for row in gias:
        key = (row["TypeOfEstablishment (code)"], row["TypeOfEstablishment (name)"])
        assert GIAS_TYPES[key] == (row["EstablishmentTypeGroup (code)"], row["EstablishmentTypeGroup (name)"])
        assert (row["EstablishmentStatus (code)"], row["EstablishmentStatus (name)"]) in {
            ("1", "Open"), ("2", "Closed"), ("3", "Open, but proposed to close"), ("4", "Proposed to open")}
        assert row["Gender (name)"] in {"Boys", "Girls", "Mixed"}
        assert row["AdmissionsPolicy (name)"] in {"Selective", "Non-selective", "Not applicable"}
        assert row["TypeOfResourcedProvision (name)"] in RP_TYPES
        sen = [row[f"SEN{i} (name)"] for i in range(1, 14)]
        assert set(sen) <= GIAS_SEN | {"", "Not Applicable"}
        for column in ("OpenDate", "CloseDate", "CensusDate", "LastChangedDate"):
            assert row[column] == "" or re.fullmatch(r"\d\d-\d\d-\d{4}", row[column])
    types = Counter(row["TypeOfEstablishment (name)"] for row in gias)
    assert {"Academy special converter", "Academy special sponsor led", "Free schools special",
            "Other independent special school", "Non-maintained special school", "Special post 16 institution",
            "Further education", "Pupil referral unit", "Academy alternative provision converter"} <= set(types)
    grammars = [row for row in gias if row["AdmissionsPolicy (name)"] == "Selective"
                and row["EstablishmentStatus (name)"] == "Open"]
    assert sorted(row["Gender (name)"] for row in grammars) == ["Boys", "Girls"]
    assert any(row["SchoolCapacity"] == "" for row in gias if row["EstablishmentStatus (name)"] == "Open")


def test_read_gias_reads_the_extract_and_types_special_academies_as_special(gias: list[dict[str, str]]) -> None:
    settings, report = read_gias(REALSHAPE / "gias_extract.csv", la_code=HOME)
    assert report.problems == []
    closed = sum(row["EstablishmentStatus (name)"] == "Closed" for row in gias)
    assert (report.rows_read, report.rows_skipped, report.rows_valid) == (len(gias), closed, len(gias) - closed)
    by_id = {s.id: s for s in settings}
    types = {row["URN"]: row["TypeOfEstablishment (name)"] for row in gias}
    academies = [s for s in settings if types.get(s.id) in SPECIAL_ACADEMY_TYPES]
    assert len(academies) >= 6
    for setting in academies:
        expected = SettingKind.SEMH_SPECIAL if Need.SEMH in setting.designations else SettingKind.SPECIAL
        assert setting.kind is expected
    home_specials = [s for s in settings if s.kind in (SettingKind.SPECIAL, SettingKind.SEMH_SPECIAL) and s.in_area
                     and s.status is SettingStatus.OPEN]
    assert len(home_specials) == 8 and sum(s.kind is SettingKind.SEMH_SPECIAL for s in home_specials) == 1
    assert sum(types[s.id] in SPECIAL_ACADEMY_TYPES for s in home_specials) >= 4
    assert sum(not s.designations for s in home_specials) == 1  # a special school with no SEN designations
    bases = [s for s in settings if s.kind in (SettingKind.RESOURCED_PROVISION, SettingKind.SEN_UNIT)]
    assert len({s.host_setting_id for s in bases}) == 8 and all(s.capacity > 0 for s in bases)
    for row in gias:
        if row["EstablishmentStatus (name)"] != "Closed":
            assert by_id[row["URN"]].in_area is (row["LA (code)"] == HOME)
    kinds = Counter(s.kind for s in settings if s.in_area)
    assert kinds[SettingKind.INDEPENDENT_SPECIAL] == 2 and kinds[SettingKind.PRU_AP] == 2
    assert kinds[SettingKind.FE_COLLEGE] == 1 and kinds[SettingKind.POST16_SPECIALIST] == 1


# --- Code-Point Open and NSPL -------------------------------------------------------------------------------------

def test_codepoint_zip_has_the_published_structure(codepoint: dict[str, list[list[str]]]) -> None:
    with zipfile.ZipFile(REALSHAPE / "codepoint_open.zip") as archive:
        names = set(archive.namelist())
        headers = archive.read("Doc/Code-Point_Open_Column_Headers.csv").decode("ascii").splitlines()
        licence = archive.read("Doc/licence.txt").decode("ascii")
        metadata = archive.read("Doc/metadata.txt").decode("ascii")
    assert names == {"Data/CSV/zv.csv", "Data/CSV/zw.csv", "Doc/Code-Point_Open_Column_Headers.csv",
                     "Doc/licence.txt", "Doc/metadata.txt"}
    assert headers == CODEPOINT_HEADERS and "FICTIONAL TEST FILE" in licence
    for name, rows in codepoint.items():
        area = name.removeprefix("Data/CSV/").removesuffix(".csv").upper()
        assert f"{area:>8}\t{len(rows)}" in metadata.split("\r\n")
        assert [row[0] for row in rows] == sorted(row[0] for row in rows)
        for row in rows:
            assert len(row) == 10 and row[0][:2] == area and len(row[0]) == 7  # headerless, 7-character postcode
            assert row[0][4:].isalnum() and re.fullmatch(r"[A-Z]{2}\d[\dA-Z]?", row[0][:4].strip())
            assert row[1] in {"10", "20", "30", "40", "50", "60", "90"} and row[4] == "E92000001"
            if row[1] != "90":
                assert 380_000 <= int(row[2]) <= 420_000 and 380_000 <= int(row[3]) <= 420_000
    raw = zipfile.ZipFile(REALSHAPE / "codepoint_open.zip").read("Data/CSV/zv.csv").decode("ascii")
    assert raw.startswith('"ZV') and raw.endswith("\r\n") and re.search(r'^"ZV\d\d\d[A-Z]{2}",', raw, re.MULTILINE)
    assert re.search(r'^"ZV\d \d[A-Z]{2}",10,\d{6},\d{6},"E92000001",', raw, re.MULTILINE)


def test_nspl_has_the_published_columns_and_the_same_postcodes(nspl: list[dict[str, str]],
                                                                codepoint: dict[str, list[list[str]]]) -> None:
    header = (REALSHAPE / "nspl_extract.csv").read_bytes().decode("utf-8").split("\r\n", 1)[0]
    assert header.split(",") == NSPL_COLUMNS
    points = {row[0]: (row[2], row[3]) for rows in codepoint.values() for row in rows}
    live = [row for row in nspl if not row["doterm"]]
    terminated = [row for row in nspl if row["doterm"]]
    assert {row["pcd"] for row in live} == set(points) and 2 <= len(terminated) <= 3
    assert not {row["pcd"] for row in terminated} & set(points)
    for row in nspl:
        outward, inward = row["pcds"].split(" ")
        assert row["pcd"] == f"{outward:<4}{inward}" and row["pcd2"] == f"{outward:<4} {inward}"
        assert re.fullmatch(r"(19|20)\d\d(0[1-9]|1[0-2])", row["dointr"])
        assert re.fullmatch(r"E01\d{6}", row["lsoa21"]) and row["laua"] in {"E06000990", "E06000991", "E06000992"}
        if row["osgrdind"] == "1":
            assert len(row["oseast1m"]) == 6 and len(row["osnrth1m"]) == 7
            if not row["doterm"]:
                assert (int(row["oseast1m"]), int(row["osnrth1m"])) == tuple(map(int, points[row["pcd"]]))


# --- persons ------------------------------------------------------------------------------------------------------

def test_persons_have_the_agreed_columns_and_formats(persons: list[dict[str, str]]) -> None:
    with (REALSHAPE / "persons.csv").open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == PERSON_COLUMNS
    assert len({p["person_id"] for p in persons}) == len({p["upn"] for p in persons}) == len(persons)
    for person in persons:
        upn = person["upn"]
        assert re.fullmatch(r"[A-Z]\d{11}[A-Z]", upn)
        values = [int(ch) for ch in upn[1:12]] + [UPN_CHECK.index(upn[12])]
        assert upn[0] == UPN_CHECK[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23]
        number = person["person_id"].removeprefix("P")
        assert (person["forename"], person["surname"]) == (f"Forename{number[1:]}", f"Surname{number[1:]}")
        for column in ("birth_date", "plan_start", "cease_date", "last_review", "entry_date", "request_received"):
            assert person[column] == "" or date.fromisoformat(person[column])
        assert person["sex"] in {"M", "F", ""} and person["need1"] in SEN2_NEEDS | {""}
        assert person["need2"] in SEN2_NEEDS | {""} and person["sen_setting"] in {"", "EHE", "OTH", "NEET", "NIEO"}
        assert person["sen_unit"] in {"Y", "N", ""} and person["resourced_provision"] in {"Y", "N", ""}
        assert sum(bool(person[c]) for c in ("urn", "ukprn", "sen_setting")) <= 1
        until = date.fromisoformat(person["cease_date"] or CENSUS.isoformat())
        assert date.fromisoformat(person["plan_start"]) < until
        if person["request_received"]:
            assert person["request_received"] < person["plan_start"]


def test_active_persons_are_aged_2_to_25_at_the_census(persons: list[dict[str, str]]) -> None:
    active = [p for p in persons if not p["cease_date"]]
    ages = Counter(_age(date.fromisoformat(p["birth_date"]), CENSUS) for p in active)
    assert min(ages) == 2 and max(ages) == 25
    ceased = [date.fromisoformat(p["cease_date"]) for p in persons if p["cease_date"]]
    assert ceased and all(day.year == 2024 for day in ceased)


def test_every_person_lives_at_a_live_codepoint_postcode(persons: list[dict[str, str]],
                                                         codepoint: dict[str, list[list[str]]],
                                                         nspl: list[dict[str, str]]) -> None:
    live = {_normalised(row[0]): row for rows in codepoint.values() for row in rows}
    terminated = {_normalised(row["pcd"]) for row in nspl if row["doterm"]}
    for person in persons:
        record = live[_normalised(person["postcode"])]
        assert record[1] != "90" and record[8] == "E06000990"  # located, in the home council
        assert _normalised(person["postcode"]) not in terminated
    assert len({p["postcode"] for p in persons}) < len(live)  # the file has postcodes nobody lives at
    with (REALSHAPE / "gias_extract.csv").open(encoding="cp1252", newline="") as handle:
        for row in csv.DictReader(handle):
            assert _normalised(row["Postcode"]) in live  # settings' postcodes too


def test_every_urn_and_ukprn_is_in_the_extract_or_listed_absent(persons: list[dict[str, str]],
                                                                gias: list[dict[str, str]],
                                                                figures: dict[str, str]) -> None:
    urns = {row["URN"] for row in gias}
    ukprns = {row["UKPRN"] for row in gias if row["UKPRN"]}
    absent_urns = set(figures["absent_urns"].split(";"))
    absent_ukprns = set(figures["absent_ukprns"].split(";"))
    assert not absent_urns & urns and not absent_ukprns & ukprns
    used_urns = {p["urn"] for p in persons if p["urn"]}
    used_ukprns = {p["ukprn"] for p in persons if p["ukprn"]}
    assert used_urns <= urns | absent_urns and used_ukprns <= ukprns | absent_ukprns
    assert absent_urns & used_urns and absent_ukprns & used_ukprns
    open_urns = {row["URN"] for row in gias if row["EstablishmentStatus (name)"] in ("Open",
                                                                                   "Open, but proposed to close")}
    assert {p["urn"] for p in persons if p["urn"] and not p["cease_date"]} <= open_urns | absent_urns
    neighbours = {row["URN"] for row in gias if row["LA (code)"] != HOME and "special" in
                  row["TypeOfEstablishment (name)"].lower()}
    assert len(neighbours & used_urns) >= 6  # the council's children in the neighbours' special schools


def _placement_group(person: dict[str, str], types: dict[str, str], absent_urns: set[str]) -> str:
    if person["urn"] in absent_urns:
        return "IS"
    if person["urn"]:
        kind = types[person["urn"]]
        if kind in MAINSTREAM_TYPES:
            return "RP" if "Y" in (person["sen_unit"], person["resourced_provision"]) else "MS"
        if kind in STATE_SPECIAL_TYPES:
            return "SS"
        return "IS" if kind in ("Other independent special school", "Non-maintained special school") else "AP"
    return "FE" if person["ukprn"] else "NONE"


def test_counts_match_the_readme_figures(gias: list[dict[str, str]], persons: list[dict[str, str]],
                                         nspl: list[dict[str, str]], codepoint: dict[str, list[list[str]]],
                                         figures: dict[str, str]) -> None:
    assert int(figures["gias_rows"]) == len(gias)
    for la in ("990", "991", "992"):
        assert int(figures[f"gias_rows_{la}"]) == sum(row["LA (code)"] == la for row in gias)
    statuses = Counter(row["EstablishmentStatus (name)"] for row in gias)
    assert int(figures["gias_status_closed"]) == statuses["Closed"] == 4
    assert int(figures["gias_status_proposed_to_open"]) == statuses["Proposed to open"] == 1
    active = [p for p in persons if not p["cease_date"]]
    assert (int(figures["persons_active"]), int(figures["persons_ceased"])) == (len(active),
                                                                               len(persons) - len(active))
    assert 1450 <= len(active) <= 1550 and 120 <= len(persons) - len(active) <= 180
    types = {row["URN"]: row["TypeOfEstablishment (name)"] for row in gias}
    groups = Counter(_placement_group(p, types, set(figures["absent_urns"].split(";"))) for p in active)
    for group, count in groups.items():
        assert int(figures[f"active_group_{group}"]) == count
    needs = Counter(p["need1"] or "blank" for p in active)
    assert {k.removeprefix("active_need1_"): int(v) for k, v in figures.items() if k.startswith("active_need1_")} \
        == dict(needs)
    assert int(figures["codepoint_rows"]) == sum(len(rows) for rows in codepoint.values())
    assert int(figures["nspl_rows"]) == len(nspl) and int(figures["nspl_terminated"]) == sum(
        bool(row["doterm"]) for row in nspl)
    assert int(figures["person_postcodes_distinct"]) == len({p["postcode"] for p in persons})


def test_placement_mix_is_calibrated(persons: list[dict[str, str]], gias: list[dict[str, str]],
                                     figures: dict[str, str]) -> None:
    """The brief's shares of active plans (README: Trafford 2025 raked toward England)."""
    active = [p for p in persons if not p["cease_date"]]
    types = {row["URN"]: row["TypeOfEstablishment (name)"] for row in gias}
    share = {g: n / len(active) for g, n in Counter(_placement_group(p, types, set(figures["absent_urns"].split(
        ";"))) for p in active).items()}
    assert 0.35 <= share["MS"] <= 0.43 and 0.04 <= share["RP"] <= 0.06 and 0.28 <= share["SS"] <= 0.32
    assert 0.05 <= share["IS"] <= 0.07 and 0.015 <= share["AP"] <= 0.025 and 0.11 <= share["FE"] <= 0.15
    assert 0.02 <= share["NONE"] <= 0.04
    assert 0.005 <= sum(not p["need1"] for p in active) / len(active) <= 0.015
    assert int(figures["special_places_990"]) < int(figures["special_children_all"])  # over capacity


def test_bad_examples_each_break_one_thing(nspl: list[dict[str, str]], codepoint: dict[str, list[list[str]]],
                                           gias: list[dict[str, str]]) -> None:
    bad = {row["person_id"]: row for row in _csv("persons_bad_examples.csv")}
    live = {_normalised(row[0]) for rows in codepoint.values() for row in rows}
    terminated = {_normalised(row["pcd"]) for row in nspl if row["doterm"]}
    closed = {row["URN"] for row in gias if row["EstablishmentStatus (name)"] == "Closed"}
    assert _normalised(bad["BAD01"]["postcode"]) in terminated - live
    assert _normalised(bad["BAD02"]["postcode"]) not in live | terminated
    assert _age(date.fromisoformat(bad["BAD03"]["birth_date"]), CENSUS) == 27
    assert not bad["BAD04"]["urn"].isdigit()
    assert bad["BAD05"]["urn"] in closed and not bad["BAD05"]["cease_date"]
    assert not re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", bad["BAD06"]["postcode"])


def test_localities_cover_the_home_lsoas(nspl: list[dict[str, str]]) -> None:
    localities = _csv("localities.csv")
    assert [row["locality_id"] for row in localities] == ["ZED-N", "ZED-S", "VEX", "WEN"]
    codes = [code for row in localities for code in row["area_codes"].split(";")]
    assert len(codes) == len(set(codes))
    assert set(codes) == {row["lsoa21"] for row in nspl if row["laua"] == "E06000990"}


def test_the_generator_rebuilds_the_same_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("realshape_build_council", REALSHAPE / "build_council.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    module.build(tmp_path)
    for name in ("gias_extract.csv", "codepoint_open.zip", "nspl_extract.csv", "persons.csv",
                 "persons_bad_examples.csv", "localities.csv", "README.md"):
        assert (tmp_path / name).read_bytes() == (REALSHAPE / name).read_bytes(), name
