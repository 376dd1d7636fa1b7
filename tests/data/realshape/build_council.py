"""Build "Vale of Zed" (LA 990): a fictional council whose files have the shapes of a real council's files.

Run from the repository root:  .venv/bin/python tests/data/realshape/build_council.py

Writes, next to this script (see README.md for what each file is and where each layout comes from):

- gias_extract.csv       GIAS "edubasealldata" establishment extract (all 135 columns of the 2025-04-22 layout,
                         Windows-1252/latin-1, CRLF, GIAS quoting and value spellings)
- codepoint_open.zip     OS Code-Point Open as published: Data/CSV/zv.csv, Data/CSV/zw.csv (headerless),
                         Doc/Code-Point_Open_Column_Headers.csv, Doc/metadata.txt, Doc/licence.txt
- nspl_extract.csv       the same postcodes (plus terminated ones) in the ONS NSPL (May 2025) layout
- persons.csv            person-level truth: ~1,500 active plans at the January 2025 census + 2024 ceased plans
- persons_bad_examples.csv  a few rows each breaking one thing, for error tests
- localities.csv         4 localities as `;`-separated LSOA codes
- README.md              the figures block between the `figures` markers is rewritten from the generated data

Everything is invented: postcode areas ZV and ZW do not exist, LA codes 990-992 are not real, names are generated.
Calibration (ages, placement mix, primary need by placement and age, sex by need) comes from the DfE
"Education, health and care plans" 2025 tables for Trafford in tests/data/sen2-2025/. The seed is fixed: the same
script always writes the same bytes.
"""

from __future__ import annotations

import csv
import io
import math
import random
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SEED = 9902025
HERE = Path(__file__).resolve().parent
DFE_DIR = HERE.parent / "sen2-2025"
CALIBRATION_LA = "Trafford"
CENSUS = date(2025, 1, 16)  # the January 2025 school census / SEN2 census date
AGE_DATE = date(2024, 8, 31)  # DfE ages are ages on 31 August at the start of the academic year
ACTIVE_TARGET = 1500
CEASED_TARGET = 150
EARLY_YEARS = {2: 3, 3: 12}  # persons aged 2 and 3 on 31 Aug 2024 (Trafford has 0 and 4: boosted, see README)

# GIAS "edubasealldata" columns, in order, as published from 2025-04-22: MastodonC/witan.gias src/witan/gias.clj
# (`edubaseall-columns`) less the four Ofsted columns dropped 2025-04-22 and "RSCRegion (name)" dropped 2024-07-17.
GIAS_COLUMNS = (
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
)
# Columns GIAS writes as bare numbers (everything else is double-quoted), as in published extracts.
GIAS_UNQUOTED = frozenset({"URN", "StatutoryLowAge", "StatutoryHighAge", "SchoolCapacity", "UKPRN", "Easting",
                           "Northing", "SENStat", "SENNoStat"})

# TypeOfEstablishment (name) -> (type code, group code, group name): witan.gias data/edubasealldata20250422-
# establishment-types.csv (distinct values of the real 2025-04-22 extract).
GIAS_TYPES = {
    "Community school": ("01", "4", "Local authority maintained schools"),
    "Voluntary aided school": ("02", "4", "Local authority maintained schools"),
    "Voluntary controlled school": ("03", "4", "Local authority maintained schools"),
    "Foundation school": ("05", "4", "Local authority maintained schools"),
    "Community special school": ("07", "5", "Special schools"),
    "Non-maintained special school": ("08", "5", "Special schools"),
    "Other independent special school": ("10", "5", "Special schools"),
    "Other independent school": ("11", "3", "Independent schools"),
    "Foundation special school": ("12", "5", "Special schools"),
    "Pupil referral unit": ("14", "4", "Local authority maintained schools"),
    "Further education": ("18", "1", "Colleges"),
    "Academy sponsor led": ("28", "10", "Academies"),
    "Special post 16 institution": ("32", "9", "Other types"),
    "Academy special sponsor led": ("33", "10", "Academies"),
    "Academy converter": ("34", "10", "Academies"),
    "Free schools": ("35", "11", "Free Schools"),
    "Free schools special": ("36", "11", "Free Schools"),
    "Academy alternative provision converter": ("42", "10", "Academies"),
    "Academy special converter": ("44", "10", "Academies"),
    "Academy 16-19 converter": ("45", "10", "Academies"),
}
STATUS_CODES = {"Open": "1", "Closed": "2", "Open, but proposed to close": "3", "Proposed to open": "4"}
PHASE_CODES = {"Not applicable": "0", "Nursery": "1", "Primary": "2", "Secondary": "4", "16 plus": "6",
               "All-through": "7"}
GENDER_CODES = {"Boys": "1", "Girls": "2", "Mixed": "3"}
ADMISSIONS_CODES = {"Not applicable": "0", "Non-selective": "1", "Selective": "2"}
# SEN designations exactly as GIAS writes them (witan.gias parse-sen-provision-type-name).
GIAS_SEN = {
    "ASD": "ASD - Autistic Spectrum Disorder", "SEMH": "SEMH - Social, Emotional and Mental Health",
    "MLD": "MLD - Moderate Learning Difficulty", "SLCN": "SLCN - Speech, language and Communication",
    "PD": "PD - Physical Disability", "SLD": "SLD - Severe Learning Difficulty",
    "PMLD": "PMLD - Profound and Multiple Learning Difficulty", "HI": "HI - Hearing Impairment",
    "VI": "VI - Visual Impairment", "MSI": "MSI - Multi-Sensory Impairment",
    "SPLD": "SpLD - Specific Learning Difficulty", "OTH": "OTH - Other Difficulty/Disability",
}
NEEDS = ("ASD", "HI", "MLD", "MSI", "OTH", "PD", "PMLD", "SEMH", "SLCN", "SLD", "SPLD", "VI")

# Code-Point Open (OS): headerless CSVs, one per postcode area; these two header rows ship in Doc/.
CODEPOINT_SHORT = ("PC", "PQ", "EA", "NO", "CY", "RH", "LH", "CC", "DC", "WC")
CODEPOINT_LONG = ("Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code",
                  "NHS_regional_HA_code", "NHS_HA_code", "Admin_county_code", "Admin_district_code", "Admin_ward_code")
# ONS National Statistics Postcode Lookup, May 2025 column order.
NSPL_COLUMNS = ("pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "oseast1m", "osnrth1m", "osgrdind", "oa21",
                "cty", "ced", "laua", "ward", "nhser", "ctry", "rgn", "pcon", "ttwa", "itl", "park", "lsoa21",
                "msoa21", "wz11", "sicbl", "bua24", "ruc21", "oac11", "lat", "long", "lep1", "lep2", "pfa", "imd",
                "icb")
PERSON_COLUMNS = ("person_id", "upn", "forename", "surname", "birth_date", "sex", "postcode", "need1", "need2",
                  "plan_start", "cease_date", "last_review", "urn", "ukprn", "sen_setting", "sen_unit",
                  "resourced_provision", "entry_date", "request_received")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters Royal Mail uses in the inward code (no C I K M O V)
UPN_CHECK = "ABCDEFGHJKLMNPQRTUVWXYZ"  # DfE UPN check-letter table (remainder mod 23)


@dataclass(frozen=True)
class LocalAuthority:
    """A fictional local authority: DfE 3-digit code, name, GSS code and the easting band it covers."""

    code: str
    name: str
    gss: str
    east_from: int
    east_to: int


HOME = LocalAuthority("990", "Vale of Zed", "E06000990", 388_100, 411_900)
WEST = LocalAuthority("991", "Zedmouth", "E06000991", 380_500, 387_900)
EAST = LocalAuthority("992", "Wexmoor", "E06000992", 412_100, 419_500)
AUTHORITIES = {la.code: la for la in (HOME, WEST, EAST)}
NORTH_FROM, NORTH_TO = 380_500, 419_500


@dataclass(frozen=True)
class District:
    """A postcode district: outward code, LA, town label, centre, spread (metres) and number of postcode units."""

    outward: str
    la: LocalAuthority
    label: str
    easting: int
    northing: int
    spread: int
    units: int
    urban: bool
    locality: str


DISTRICTS = (
    District("ZV1", HOME, "Zedbury", 400_000, 402_000, 1100, 110, True, "ZED-N"),
    District("ZV2", HOME, "Zedbury", 400_500, 405_500, 1400, 105, True, "ZED-N"),
    District("ZV10", HOME, "Zedbury", 403_800, 401_500, 1300, 80, True, "ZED-N"),
    District("ZV7", HOME, "Zed Heath", 404_000, 414_500, 2800, 60, False, "ZED-N"),
    District("ZV3", HOME, "Zedbury", 399_500, 398_500, 1400, 105, True, "ZED-S"),
    District("ZV4", HOME, "Zedbury", 396_500, 402_500, 1400, 80, True, "ZED-S"),
    District("ZV8", HOME, "Lower Zed", 392_000, 394_000, 2800, 60, False, "ZED-S"),
    District("ZV5", HOME, "Vexham", 393_000, 411_500, 1400, 100, True, "VEX"),
    District("ZV6", HOME, "Vexham Moor", 391_500, 416_500, 2400, 45, False, "VEX"),
    District("ZW1", HOME, "Wenmoor", 406_500, 388_500, 1300, 110, True, "WEN"),
    District("ZW11", HOME, "Wenmoor", 409_000, 391_000, 1300, 70, True, "WEN"),
    District("ZW2", HOME, "Wenmoor", 405_000, 384_500, 1700, 70, True, "WEN"),
    District("ZW3", HOME, "Zed Bridge", 397_000, 385_500, 2800, 55, False, "WEN"),
    District("ZW4", HOME, "Quillmere", 409_500, 397_000, 2300, 45, False, "WEN"),
    District("ZV9", WEST, "Zedmouth", 384_000, 399_000, 1500, 45, True, ""),
    District("ZV12", WEST, "Zedmouth", 384_500, 408_000, 1900, 30, True, ""),
    District("ZW5", EAST, "Wexmoor", 416_000, 404_000, 1500, 45, True, ""),
    District("ZW6", EAST, "Wexmoor", 416_500, 392_000, 1900, 30, True, ""),
)
LOCALITIES = (
    ("ZED-N", "Zedbury Central and North"),
    ("ZED-S", "Zedbury South and West"),
    ("VEX", "Vexham and the Northern Villages"),
    ("WEN", "Wenmoor and the South"),
)


@dataclass
class Postcode:
    """A postcode unit with its Code-Point / NSPL attributes."""

    outward: str
    inward: str
    easting: int
    northing: int
    district: District
    pqi: int = 10
    introduced: str = "198001"
    terminated: str = ""
    lsoa: str = ""
    msoa: str = ""
    ward: str = ""
    lsoa_name: str = ""
    msoa_name: str = ""
    ward_name: str = ""

    @property
    def text(self) -> str:
        """The postcode as written in an address: 'ZV3 4QT'."""
        return f"{self.outward} {self.inward}"

    @property
    def pcd7(self) -> str:
        """Code-Point Open / NSPL `pcd` 7-character form: outward code left-justified in 4 ('ZV3 4QT', 'ZV104QT')."""
        return f"{self.outward:<4}{self.inward}"

    @property
    def pcd8(self) -> str:
        """NSPL `pcd2` 8-character form: outward left-justified in 4, a space, inward ('ZV3  4QT')."""
        return f"{self.outward:<4} {self.inward}"


# ---------------------------------------------------------------------------------------------------------------
# Geography: postcode units, LSOAs, MSOAs, wards
# ---------------------------------------------------------------------------------------------------------------

def _clamp(la: LocalAuthority, easting: float, northing: float) -> tuple[int, int]:
    return (round(min(max(easting, la.east_from), la.east_to)), round(min(max(northing, NORTH_FROM), NORTH_TO)))


def _district_postcodes(rng: random.Random, district: District, taken: set[str]) -> list[Postcode]:
    """The district's postcode units, clustered in sectors around the district centre."""
    sectors = sorted(rng.sample(range(10), k=min(9, max(2, district.units // 14))))
    centres = {s: (district.easting + rng.gauss(0, district.spread * 0.6),
                   district.northing + rng.gauss(0, district.spread * 0.6)) for s in sectors}
    units: list[Postcode] = []
    while len(units) < district.units:
        sector = rng.choice(sectors)
        inward = f"{sector}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        if f"{district.outward} {inward}" in taken:
            continue
        taken.add(f"{district.outward} {inward}")
        easting, northing = _clamp(district.la, centres[sector][0] + rng.gauss(0, district.spread * 0.45),
                                   centres[sector][1] + rng.gauss(0, district.spread * 0.45))
        pqi = rng.choices((10, 20, 30, 40), weights=(94, 3, 2, 1))[0]
        introduced = rng.choice(("198001", "198001", "198001", "199106", "200012", "200806", "201502", "202003"))
        units.append(Postcode(district.outward, inward, easting, northing, district, pqi, introduced))
    return units


def _assign_areas(postcodes: list[Postcode]) -> None:
    """LSOAs (~15 units each, wedges around each district centre), MSOAs (5 LSOAs) and wards (4 LSOAs) per LA."""
    for la in AUTHORITIES.values():
        lsoa_number = 0
        for district in (d for d in DISTRICTS if d.la is la):
            members = [p for p in postcodes if p.district is district and p.pqi != 90]
            members.sort(key=lambda p: math.atan2(p.northing - district.northing, p.easting - district.easting))
            groups = max(1, round(len(members) / 15))
            for index, postcode in enumerate(members):
                number = lsoa_number + index * groups // len(members)
                msoa, letter = divmod(number, 5)
                ward = number // 4
                postcode.lsoa = f"E01{la.code}{number + 1:03d}"
                postcode.msoa = f"E02{la.code}{msoa + 1:03d}"
                postcode.ward = f"E05{la.code}{ward + 1:03d}"
                postcode.msoa_name = f"{la.name} {msoa + 1:03d}"
                postcode.lsoa_name = f"{postcode.msoa_name}{'ABCDE'[letter]}"
                postcode.ward_name = f"{district.label} {('North', 'South', 'East', 'West', 'Central')[ward % 5]}"
            lsoa_number += groups


def build_postcodes(rng: random.Random) -> tuple[list[Postcode], list[Postcode]]:
    """All live postcode units (one PQI 90 unit without coordinates) and 3 terminated units (NSPL only)."""
    taken: set[str] = set()
    live = [p for d in DISTRICTS for p in _district_postcodes(rng, d, taken)]
    no_fix = next(p for p in live if p.district.outward == "ZV7")
    no_fix.pqi, no_fix.easting, no_fix.northing = 90, 0, 0
    _assign_areas(live)
    twin = next(p for p in live if p.district is no_fix.district and p.pqi != 90)
    no_fix.lsoa, no_fix.msoa, no_fix.ward = twin.lsoa, twin.msoa, twin.ward  # ONS still allocates areas
    no_fix.lsoa_name, no_fix.msoa_name, no_fix.ward_name = twin.lsoa_name, twin.msoa_name, twin.ward_name
    terminated = []
    for outward, inwards, term in (("ZV1", ("9ZZ", "9ZY", "9YZ"), "201911"), ("ZV5", ("8YY", "8YX", "8XY"), "202206"),
                                   ("ZW1", ("7XX", "7XW", "7WX"), "202302")):
        inward = next(code for code in inwards if f"{outward} {code}" not in taken)
        taken.add(f"{outward} {inward}")
        district = next(d for d in DISTRICTS if d.outward == outward)
        twin = min((p for p in live if p.district is district),
                   key=lambda p: abs(p.easting - district.easting) + abs(p.northing - district.northing))
        terminated.append(Postcode(outward, inward, twin.easting + 40, twin.northing - 30, district, 10, "198001",
                                   term, twin.lsoa, twin.msoa, twin.ward, twin.lsoa_name, twin.msoa_name,
                                   twin.ward_name))
    return live, terminated


# ---------------------------------------------------------------------------------------------------------------
# Establishments
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Establishment:
    """One GIAS row, with the planning roles the person generator needs."""

    urn: int
    la: LocalAuthority
    number: str
    name: str
    type_name: str
    role: str  # primary, secondary, allthrough, sixthform, indep, special, pru, ap, indep_special, fe, spi
    low: int | None
    high: int | None
    capacity: int | None
    postcode: Postcode
    phase: str = "Not applicable"
    status: str = "Open"
    gender: str = "Mixed"
    admissions: str = "Not applicable"
    sen: tuple[str, ...] = ()
    rp_places: int | None = None
    unit_places: int | None = None
    ukprn: int | None = None
    open_date: str = ""
    close_date: str = ""
    reason_open: tuple[str, str] = ("00", "Not applicable")
    reason_close: tuple[str, str] = ("00", "Not applicable")
    religion: tuple[str, str] = ("00", "Does not apply")
    trust: tuple[str, str] = ("", "")
    sponsor: str = ""
    boarding: bool = False
    pupils: int | None = None
    blank_pupils: bool = False
    fe_type: str = "Not applicable"
    sen_blank_style: str = ""  # "Not Applicable" in SEN1 for one school, as some real rows have
    roll: int = 0
    rp_roll: int = 0
    unit_roll: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def open_on(self, day: date) -> bool:
        """Whether children can be on roll on `day` (GIAS dates are dd-mm-yyyy)."""
        opened = _gias_date(self.open_date)
        closed = _gias_date(self.close_date)
        if self.status == "Proposed to open" or (opened and opened > day):
            return False
        return not (self.status == "Closed" and closed and closed < day)

    def takes_age(self, age: int) -> bool:
        """Age on 31 August of the year: a school with statutory ages low-high takes low .. high-1."""
        low = 16 if self.low is None else self.low
        high = 99 if self.high is None else self.high
        return low <= age <= high - 1

    @property
    def in_area(self) -> bool:
        return self.la is HOME


def _gias_date(text: str) -> date | None:
    if not text:
        return None
    day, month, year = (int(part) for part in text.split("-"))
    return date(year, month, day)


PLACE_HEADS = ("Quen", "Zell", "Vex", "Wynd", "Drax", "Orl", "Brin", "Kest", "Harl", "Pell", "Tarn", "Sarn", "Mox",
               "Ledd", "Fenn", "Gorr", "Ulls", "Cray", "Yarl", "Thrup", "Skell", "Hobb", "Ravel", "Nant")
PLACE_TAILS = ("wick", "combe", "ley", "stow", "thorpe", "mere", "holt", "dene", "garth", "well", "by", "worth")


class Namer:
    """Invented place names and URNs, never repeated."""

    def __init__(self, rng: random.Random) -> None:
        names = [head + tail for head in PLACE_HEADS for tail in PLACE_TAILS]
        rng.shuffle(names)
        self._names = iter(names)
        self._urns = {"990": iter(range(990101, 990400)), "991": iter(range(991101, 991200)),
                      "992": iter(range(992101, 992200))}
        self._numbers: Counter[str] = Counter()

    def place(self) -> str:
        return next(self._names)

    def urn(self, la: LocalAuthority) -> int:
        return next(self._urns[la.code])

    def number(self, la: LocalAuthority, series: int) -> str:
        """EstablishmentNumber: 2xxx primary, 3xxx voluntary primary, 4xxx/5xxx secondary, 6xxx independent,
        7xxx special, 1xxx PRU."""
        self._numbers[f"{la.code}-{series}"] += 1
        return f"{series * 1000 + self._numbers[f'{la.code}-{series}'] * 3 + 1:04d}"


def _pick_postcode(rng: random.Random, postcodes: Sequence[Postcode], outwards: Sequence[str]) -> Postcode:
    return rng.choice([p for p in postcodes if p.district.outward in outwards and p.pqi != 90])


PRIMARY_TYPES = (
    # type, count, religion
    ("Community school", 28, ("00", "Does not apply")),
    ("Voluntary aided school", 7, ("02", "Church of England")),
    ("Voluntary aided school", 4, ("03", "Roman Catholic")),
    ("Voluntary controlled school", 2, ("02", "Church of England")),
    ("Foundation school", 2, ("00", "Does not apply")),
    ("Academy converter", 20, ("00", "Does not apply")),
    ("Academy sponsor led", 5, ("00", "Does not apply")),
    ("Free schools", 2, ("00", "Does not apply")),
)
SAINTS = ("St Aldric's", "St Wenna's", "St Brannoc's", "St Cuthmund's", "St Ebbe's", "St Osric's", "St Hild's",
          "St Elfleda's", "St Ywain's", "St Petroc's")
TRUSTS = (("19901", "VALE OF ZED LEARNING PARTNERSHIP"), ("19902", "ZEDBURY CATHOLIC ACADEMY TRUST"),
          ("19903", "WENMOOR SPECIAL SCHOOLS TRUST"), ("19904", "QUILLMERE EDUCATION TRUST"))


def _primary_name(rng: random.Random, namer: Namer, type_name: str, religion: str, index: int, ages: str) -> str:
    place = namer.place()
    if religion == "Roman Catholic":
        saint = "Sainte-Thérèse" if index == 0 else SAINTS[index + 5]
        return f"{saint} Catholic Primary School"
    if religion == "Church of England":
        return f"{SAINTS[index % 5]} CE Primary School" if index < 5 else f"{place} CE Primary School"
    if ages == "4-7":
        return f"{place} Infant School"
    if ages == "7-11":
        return f"{place} Junior School"
    if type_name.startswith("Academy"):
        return rng.choice((f"{place} Primary Academy", f"{place} Academy", f"{place} Primary School"))
    if type_name == "Free schools":
        return f"{place} Free School"
    return rng.choice((f"{place} Primary School", f"{place} Community Primary School", f"{place} Primary School"))


def _primary_ages(rng: random.Random, index: int) -> tuple[int, int]:
    """Infant/junior pairs first, a few 2-11, then about 40% with a nursery class (3-11)."""
    if index < 6:
        return ((4, 7), (7, 11))[index % 2]
    if index < 9:
        return 2, 11
    return (3, 11) if rng.random() < 0.4 else (4, 11)


def build_primaries(rng: random.Random, namer: Namer, postcodes: Sequence[Postcode]) -> list[Establishment]:
    """~70 primary schools in the home council, spread over its districts in proportion to their units."""
    home_districts = [d for d in DISTRICTS if d.la is HOME]
    slots = [d.outward for d in home_districts for _ in range(round(d.units / 16))]
    rng.shuffle(slots)
    schools: list[Establishment] = []
    index = 0
    for type_name, count, religion in PRIMARY_TYPES:
        for n in range(count):
            low, high = _primary_ages(rng, index)
            district = slots[index % len(slots)]
            # a junior school sits next to its infant school
            postcode = schools[-1].postcode if low == 7 else _pick_postcode(rng, postcodes, [district])
            urban = next(d for d in home_districts if d.outward == district).urban
            capacity = rng.choice((210, 315, 420, 420, 630) if urban else (84, 105, 140, 210))
            if low in (4, 7) and high in (7, 11) and index < 6:
                capacity = rng.choice((180, 240, 270))
            name = _primary_name(rng, namer, type_name, religion[1], n, f"{low}-{high}")
            series = 3 if type_name.startswith("Voluntary") else 2
            school = Establishment(namer.urn(HOME), HOME, namer.number(HOME, series), name, type_name, "primary",
                                   low, high, capacity, postcode, phase="Primary", religion=religion)
            _academy_details(rng, school)
            schools.append(school)
            index += 1
    return schools


def _academy_details(rng: random.Random, school: Establishment) -> None:
    """Trust, sponsor and opening reason for academies and free schools; a blank capacity for some of them."""
    if school.type_name.startswith("Academy") or school.type_name.startswith("Free schools"):
        school.trust = rng.choice(TRUSTS[:2] if school.religion[1] == "Does not apply" else TRUSTS[1:2])
        if school.role in ("special",):
            school.trust = TRUSTS[2]
        year = rng.randint(2012, 2023)
        school.open_date = f"01-{rng.choice(('04', '09', '11'))}-{year}"
        school.reason_open = {"Academy converter": ("10", "Academy Converter"),
                              "Academy sponsor led": ("11", "Academy Sponsor Led")}.get(
            school.type_name.replace("Academy special", "Academy"), ("08", "New Provision"))
        if "sponsor" in school.type_name:
            school.sponsor = school.trust[1]
        if school.role in ("primary", "secondary") and rng.random() < 0.2:
            school.capacity = None  # real extracts leave many academy capacities blank (NumberOfPupils is given)


SECONDARIES = (
    # type, low, high, gender, admissions, religion, name pattern, district
    ("Community school", 11, 16, "Mixed", "Non-selective", "", "{p} High School", "ZV3"),
    ("Community school", 11, 16, "Mixed", "Non-selective", "", "{p} Community College", "ZW1"),
    ("Foundation school", 11, 16, "Mixed", "Non-selective", "", "{p} School", "ZV5"),
    ("Academy converter", 11, 16, "Mixed", "Non-selective", "", "{p} Academy", "ZV2"),
    ("Academy converter", 11, 16, "Mixed", "Non-selective", "", "{p} High School", "ZW2"),
    ("Academy sponsor led", 11, 16, "Mixed", "Non-selective", "", "{p} Academy", "ZV10"),
    ("Academy converter", 11, 18, "Mixed", "Non-selective", "", "{p} School", "ZV1"),
    ("Academy converter", 11, 18, "Mixed", "Non-selective", "", "{p} College", "ZW11"),
    ("Academy converter", 11, 18, "Mixed", "Non-selective", "", "{p} Academy", "ZV4"),
    ("Voluntary aided school", 11, 18, "Mixed", "Non-selective", "RC", "Cardinal Ywain Catholic High School", "ZV1"),
    ("Academy converter", 11, 18, "Boys", "Selective", "", "Zedbury Grammar School for Boys", "ZV2"),
    ("Academy converter", 11, 18, "Girls", "Selective", "", "Vexham High School for Girls", "ZV5"),
    ("Academy sponsor led", 4, 18, "Mixed", "Non-selective", "", "{p} Vale Academy", "ZW1"),
    ("Free schools", 4, 18, "Mixed", "Non-selective", "", "Zedbury Gateway School", "ZV3"),
)


def build_secondaries(rng: random.Random, namer: Namer, postcodes: Sequence[Postcode]) -> list[Establishment]:
    """14 secondary schools: 11-16, 11-18, two selective single-sex grammars, two all-through 4-18."""
    schools = []
    for type_name, low, high, gender, admissions, faith, pattern, district in SECONDARIES:
        religion = ("03", "Roman Catholic") if faith == "RC" else ("00", "Does not apply")
        phase = "All-through" if low == 4 else "Secondary"
        capacity = rng.choice((900, 1050, 1200, 1350)) if high == 16 else rng.choice((1200, 1400, 1500, 1650))
        if low == 4:
            capacity = rng.choice((1600, 1800))
        role = "allthrough" if low == 4 else "secondary"
        school = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 4), pattern.format(p=namer.place()),
                               type_name, role, low, high, capacity, _pick_postcode(rng, postcodes, [district]),
                               phase=phase, gender=gender, admissions=admissions, religion=religion)
        _academy_details(rng, school)
        if school.capacity is None and admissions == "Selective":
            school.capacity = 1100
        schools.append(school)
    return schools


# host index in (primaries, secondaries), rp places, unit places, RP type, designations
BASES = (
    ("primary", 3, 10, None, ("ASD",)),
    ("primary", 11, 8, None, ("HI",)),
    ("primary", 17, None, 10, ("SLCN",)),
    ("primary", 24, None, 10, ("MLD", "SPLD")),
    ("primary", 33, 6, 8, ("ASD", "SLCN")),
    ("secondary", 0, 14, None, ("ASD",)),
    ("secondary", 7, 8, None, ("HI", "VI", "PD")),
    ("secondary", 4, None, 10, ("SEMH",)),
)


def add_bases(primaries: list[Establishment], secondaries: list[Establishment]) -> None:
    """Resourced provision and SEN units in 8 mainstream schools (GIAS: type, capacities, SEN1..)."""
    for phase, index, rp, unit, needs in BASES:
        school = (primaries if phase == "primary" else secondaries)[index]
        school.rp_places, school.unit_places, school.sen = rp, unit, needs
        if school.capacity is None:
            school.capacity = 420 if phase == "primary" else 1200
    primaries[40].sen_blank_style = "Not Applicable"


SPECIALS = (
    # type, low, high, capacity, designations, district, name
    ("Community special school", 2, 19, 70, ("SLD", "PMLD", "PD", "MSI"), "ZV1", "{p} School"),
    ("Community special school", 4, 11, 48, ("MLD", "ASD", "SLCN"), "ZW1", "{p} Primary School"),
    ("Foundation special school", 11, 19, 58, ("MLD", "ASD", "SPLD"), "ZV3", "{p} School"),
    ("Academy special converter", 3, 19, 52, ("ASD", "SLCN"), "ZV5", "{p} Academy"),
    ("Academy special converter", 5, 16, 35, ("SEMH",), "ZW11", "{p} House School"),
    ("Academy special sponsor led", 5, 16, 40, ("ASD", "MLD"), "ZV10", "{p} Academy"),
    ("Free schools special", 4, 19, 28, ("ASD",), "ZV2", "{p} Free School"),
    ("Academy special converter", 2, 19, 40, (), "ZW2", "{p} School"),
)


def build_specials(rng: random.Random, namer: Namer, postcodes: Sequence[Postcode]) -> list[Establishment]:
    """8 open special schools (5 academies / free schools, one SEMH, one with no designations) + 1 proposed."""
    schools = []
    for type_name, low, high, capacity, needs, district, pattern in SPECIALS:
        school = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 7), pattern.format(p=namer.place()),
                               type_name, "special", low, high, capacity, _pick_postcode(rng, postcodes, [district]),
                               sen=needs)
        _academy_details(rng, school)
        schools.append(school)
    proposed = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 7), f"{namer.place()} Free School",
                             "Free schools special", "special", 4, 16, 64, _pick_postcode(rng, postcodes, ["ZW4"]),
                             status="Proposed to open", sen=("ASD", "SLCN"), open_date="01-09-2026",
                             reason_open=("08", "New Provision"), trust=TRUSTS[2], blank_pupils=True)
    return [*schools, proposed]


def build_other_home(rng: random.Random, namer: Namer, postcodes: Sequence[Postcode]) -> list[Establishment]:
    """PRU, AP academy, two independent specials, an independent school, an FE college and an SPI."""
    pick = _pick_postcode
    pru = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 1), "Vale of Zed Pupil Referral Service",
                        "Pupil referral unit", "pru", 5, 16, None, pick(rng, postcodes, ["ZV1"]))
    pru.extra = {"PlacesPRU": "36", "SENPRU (name)": "Has SEN provision", "EBD (name)": "Caters for EBD"}
    ap = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 1), f"{namer.place()} Horizons Academy",
                       "Academy alternative provision converter", "ap", 11, 16, 40, pick(rng, postcodes, ["ZW1"]))
    _academy_details(rng, ap)
    elan = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 6), "Élan Vale School",
                         "Other independent special school", "indep_special", 7, 19, 60,
                         pick(rng, postcodes, ["ZV8"]), sen=("ASD", "SEMH"))
    house = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 6), f"{namer.place()} House School",
                          "Other independent special school", "indep_special", 8, 19, 40,
                          pick(rng, postcodes, ["ZW4"]), sen=("SEMH", "ASD", "MLD"), boarding=True)
    prep = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 6), f"{namer.place()} Manor School",
                         "Other independent school", "indep", 3, 18, 450, pick(rng, postcodes, ["ZV6"]),
                         phase="Not applicable", religion=("06", "None"))
    college = Establishment(namer.urn(HOME), HOME, "", "Vale of Zed College", "Further education", "fe", None, None,
                            None, pick(rng, postcodes, ["ZV1"]), phase="16 plus", ukprn=10990001,
                            fe_type="General Further Education College", blank_pupils=True)
    college.extra = {"FEHEIdentifier": "8990"}
    spi = Establishment(namer.urn(HOME), HOME, "", f"{namer.place()} Pathways College", "Special post 16 institution",
                        "spi", 16, 25, 40, pick(rng, postcodes, ["ZV4"]), ukprn=10990002,
                        sen=("SLD", "ASD", "PMLD", "MLD"))
    return [pru, ap, elan, house, prep, college, spi]


def build_closed(rng: random.Random, namer: Namer, postcodes: Sequence[Postcode],
                 primaries: list[Establishment], secondaries: list[Establishment]) -> list[Establishment]:
    """Closed predecessors of two academies, a closed infant school (2024) and a closed special (2019)."""
    closed = []
    for school, close in ((primaries[45], "31-07-2016"), (secondaries[10], "31-03-2012")):
        old = Establishment(namer.urn(HOME), HOME, school.number, school.name, "Foundation school"
                            if school.role == "secondary" else "Community school", school.role, school.low,
                            school.high, school.capacity, school.postcode, phase=school.phase, status="Closed",
                            gender=school.gender, admissions=school.admissions, close_date=close,
                            reason_close=("10", "Academy Converter"), blank_pupils=True)
        closed.append(old)
    infant = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 2), f"{namer.place()} Infant School",
                           "Community school", "primary", 4, 7, 180, _pick_postcode(rng, postcodes, ["ZV4"]),
                           phase="Primary", status="Closed", close_date="31-08-2024",
                           reason_close=("01", "Result of Amalgamation/Merger"), open_date="01-09-1974")
    special = Establishment(namer.urn(HOME), HOME, namer.number(HOME, 7), f"{namer.place()} School",
                            "Community special school", "special", 5, 16, 60, _pick_postcode(rng, postcodes, ["ZW3"]),
                            status="Closed", close_date="31-08-2019", sen=("MLD",),
                            reason_close=("01", "Result of Amalgamation/Merger"), blank_pupils=True)
    return [*closed, infant, special]


NEIGHBOUR_SPECIALS = (
    # la, type, role, low, high, capacity, designations, district, name
    (WEST, "Community special school", "special", 2, 19, 110, ("SLD", "PMLD", "PD"), "ZV9", "{p} School"),
    (WEST, "Academy special converter", "special", 11, 19, 60, ("SEMH",), "ZV12", "{p} Academy"),
    (WEST, "Free schools special", "special", 4, 19, 80, ("ASD",), "ZV9", "{p} Free School"),
    (WEST, "Non-maintained special school", "indep_special", 3, 19, 70, ("HI", "VI", "MSI", "PD"), "ZV12",
     "Zedmouth Sensory School"),
    (EAST, "Foundation special school", "special", 4, 19, 100, ("MLD", "ASD", "SLCN"), "ZW5", "{p} School"),
    (EAST, "Academy special sponsor led", "special", 3, 19, 70, ("PMLD", "SLD", "PD"), "ZW6", "{p} Academy"),
    (EAST, "Other independent special school", "indep_special", 9, 19, None, ("SEMH", "ASD"), "ZW6",
     "{p} Hall School"),
)


def build_neighbours(rng: random.Random, namer: Namer, postcodes: Sequence[Postcode]) -> list[Establishment]:
    """25 settings in 991 and 992: schools, 5 specials, 2 independent specials, an FE college, a 16-19 academy."""
    out: list[Establishment] = []
    for la, outwards in ((WEST, ("ZV9", "ZV12")), (EAST, ("ZW5", "ZW6"))):
        for i in range(5):
            type_name = ("Community school", "Academy converter")[i % 2]
            low, high = (3, 11) if i < 2 else (4, 11)
            school = Establishment(namer.urn(la), la, namer.number(la, 2), f"{namer.place()} Primary School",
                                   type_name, "primary", low, high, rng.choice((210, 315, 420)),
                                   _pick_postcode(rng, postcodes, [outwards[i % 2]]), phase="Primary")
            _academy_details(rng, school)
            out.append(school)
        for i, (low, high) in enumerate(((11, 16), (11, 18), (11, 18))):
            school = Establishment(namer.urn(la), la, namer.number(la, 4), f"{namer.place()} Academy",
                                   "Academy converter", "secondary", low, high, rng.choice((1100, 1300, 1500)),
                                   _pick_postcode(rng, postcodes, [outwards[i % 2]]), phase="Secondary",
                                   admissions="Non-selective")
            _academy_details(rng, school)
            school.capacity = school.capacity or 1250
            out.append(school)
    for la, type_name, role, low, high, capacity, needs, district, pattern in NEIGHBOUR_SPECIALS:
        series = 6 if role == "indep_special" else 7
        school = Establishment(namer.urn(la), la, namer.number(la, series), pattern.format(p=namer.place()), type_name,
                               role, low, high, capacity, _pick_postcode(rng, postcodes, [district]), sen=needs)
        _academy_details(rng, school)
        out.append(school)
    college = Establishment(namer.urn(WEST), WEST, "", "Zedmouth and District College", "Further education", "fe",
                            16, 99, None, _pick_postcode(rng, postcodes, ["ZV9"]), phase="16 plus", ukprn=10991001,
                            fe_type="General Further Education College", blank_pupils=True)
    sixth = Establishment(namer.urn(EAST), EAST, namer.number(EAST, 4), "Wexmoor Sixth Form Academy",
                          "Academy 16-19 converter", "sixthform", 16, 19, 900, _pick_postcode(rng, postcodes, ["ZW5"]),
                          phase="16 plus")
    _academy_details(rng, sixth)
    return [*out, college, sixth]


# Settings the council's children attend that are NOT in the extract (far away, or providers with a UKPRN only).
ABSENT_URNS = {996101: "independent special school, 4-19, far away", 996102: "independent special school, far away",
               996103: "independent special school (residential), far away", 996104: "non-maintained special "
               "school, far away", 996105: "independent special school, far away", 996106: "independent special "
               "school, far away"}
ABSENT_UKPRNS = {10995001: "specialist post-16 institution, far away", 10995002: "UKRLP training provider",
                 10995003: "UKRLP supported-internship provider"}


def build_establishments(rng: random.Random, postcodes: Sequence[Postcode]) -> list[Establishment]:
    """Every row of the GIAS extract, home council first (GIAS sorts by URN; so does this)."""
    namer = Namer(rng)
    primaries = build_primaries(rng, namer, postcodes)
    primaries[60].status, primaries[60].close_date = "Open, but proposed to close", "31-08-2025"
    primaries[52].capacity, primaries[52].blank_pupils = None, True  # a new free school: nothing recorded yet
    secondaries = build_secondaries(rng, namer, postcodes)
    add_bases(primaries, secondaries)
    specials = build_specials(rng, namer, postcodes)
    others = build_other_home(rng, namer, postcodes)
    closed = build_closed(rng, namer, postcodes, primaries, secondaries)
    neighbours = build_neighbours(rng, namer, postcodes)
    return sorted([*primaries, *secondaries, *specials, *others, *closed, *neighbours], key=lambda e: e.urn)


# ---------------------------------------------------------------------------------------------------------------
# Calibration on the DfE tables
# ---------------------------------------------------------------------------------------------------------------

SUBCATEGORIES = {  # caseload.csv columns -> placement sub-category
    "MS": ("mainstream_la_maintained", "mainstream_academy", "mainstream_free_school", "mainstream_independent",
           "nm_early_years"),
    "RP": ("mainstream_la_maintained_resourced_provision", "mainstream_la_maintained_senunit",
           "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
           "mainstream_free_school_resourced_provision", "mainstream_free_school_senunit"),
    "SS": ("special_la_maintained", "special_academy_free"),
    "IS": ("special_independent", "special_non_maintained"),
    "AP": ("ap_pru_total",),
    "FE_GFE": ("general_fe_tertiary_colleges",),
    "FE_SPI": ("specialist_post_16_institutions",),
    "FE_UKRLP": ("ukrlp_provider",),
    "EHE": ("elective_home_education",),
    "NEET": ("neet",),
    "NIEO": ("neet_ntci", "neet_other", "neet_other_csa"),
    "OTH": ("other_arrangements_la", "other_arrangements_parents", "online_provider", "w_settings", "other_schools",
            "other_placement_settings"),
    "UNK": ("placement_unknown",),
}
GROUP_OF = {"MS": "MS", "RP": "RP", "SS": "SS", "IS": "IS", "AP": "AP", "FE_GFE": "FE", "FE_SPI": "FE",
            "FE_UKRLP": "FE", "EHE": "NONE", "NEET": "NONE", "NIEO": "NONE", "OTH": "NONE", "UNK": "NONE"}
# Placement mix aimed at (share of active plans): Trafford's, moved toward the England mix as README explains.
TARGET_SHARE = {"MS": 0.41, "RP": 0.05, "SS": 0.30, "IS": 0.06, "AP": 0.02, "FE": 0.13, "NONE": 0.03}
SUB_TARGET_SHARE = {"EHE": 0.006}  # Trafford's own share (18 of 3,143): kept while the rest of "elsewhere" shrinks
NEED_ROWS = {  # sen_needs_all_plans.csv "Type of placement" rows -> placement group
    "MS": ("Mainstream - academy", "Mainstream - free school", "Mainstream - independent",
           "Mainstream - LA maintained", "Non-maintained early years"),
    "RP": ("Mainstream - academy (resourced provision)", "Mainstream - academy (SEN unit)",
           "Mainstream - free school (resourced provision)", "Mainstream - free school (SEN unit)",
           "Mainstream - LA maintained (resourced provision)", "Mainstream - LA maintained (SEN unit)"),
    "SS": ("Special - Academy/free schools", "Special - LA maintained"),
    "IS": ("Special - independent", "Special - non-maintained"),
    "AP": ("AP/PRU - total",),
    "FE": ("FE - total",),
    "NONE": ("Educated elsewhere - total", "Placement not recorded"),
}


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0  # x (not available), z (not applicable), c (suppressed)


def _dfe_rows(name: str, period: str) -> list[dict[str, str]]:
    with (DFE_DIR / name).open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["time_period"] == period]


def _age_of(breakdown: str) -> int | None:
    match = re.fullmatch(r"age (\d+)", breakdown)
    return int(match.group(1)) if match else None


@dataclass
class Calibration:
    """What the generator takes from the DfE tables."""

    ages: dict[int, int]  # persons per age on 31 Aug 2024
    cells: dict[tuple[int, str], int]  # (age, sub-category) -> persons
    need_by_group: dict[str, dict[str, float]]
    need_by_age: dict[int, dict[str, float]]
    need_overall: dict[str, float]
    male_by_need: dict[str, float]
    trafford: dict[str, float]  # headline Trafford figures for the README


def _age_totals(caseload: list[dict[str, str]]) -> dict[int, int]:
    """Trafford's age profile scaled to the active target (largest remainder), with the early-years boost."""
    raw = {_age_of(r["breakdown"]): _number(r["ehcplans"]) for r in caseload
           if r["la_name"] == CALIBRATION_LA and r["breakdown_topic"] == "Child or young persons age"}
    school_ages = {age: n for age, n in raw.items() if age is not None and age >= 4}
    return {**EARLY_YEARS, **_round_to(school_ages, ACTIVE_TARGET - sum(EARLY_YEARS.values()))}


def _round_to(weights: dict, total: int) -> dict:
    """Integers proportional to `weights` summing to `total` (largest remainder, ties by key order)."""
    mass = sum(weights.values())
    exact = {key: total * value / mass if mass else 0.0 for key, value in weights.items()}
    counts = {key: math.floor(value) for key, value in exact.items()}
    short = total - sum(counts.values())
    for key in sorted(exact, key=lambda k: (counts[k] - exact[k], str(k)))[:short]:
        counts[key] += 1
    return counts


def _placement_cells(caseload: list[dict[str, str]], ages: dict[int, int]) -> dict[tuple[int, str], int]:
    """Persons per (age, sub-category): Trafford's by-age mix raked to TARGET_SHARE, then rounded per age."""
    rows = {_age_of(r["breakdown"]): r for r in caseload
            if r["la_name"] == CALIBRATION_LA and r["breakdown_topic"] == "Child or young persons age"}
    matrix: dict[int, dict[str, float]] = {}
    for age in ages:
        if age in rows:
            matrix[age] = {sub: sum(_number(rows[age][c]) for c in cols) for sub, cols in SUBCATEGORIES.items()}
        else:
            matrix[age] = {sub: 0.0 for sub in SUBCATEGORIES}
        if age < 4:  # early years: half in nursery classes, half in special school nurseries
            matrix[age] = {sub: (1.0 if sub in ("MS", "SS") else 0.0) for sub in SUBCATEGORIES}
        if age < 16:  # NEET is a 16-25 code; school-age children out of education are NIEO
            matrix[age]["NIEO"] += matrix[age].pop("NEET")
            matrix[age]["NEET"] = 0.0
    for _ in range(200):  # iterative proportional fitting: age totals and placement-group targets
        for age, row in matrix.items():
            mass = sum(row.values())
            for sub in row:
                row[sub] *= ages[age] / mass
        for group, share in TARGET_SHARE.items():
            fixed = {sub: value for sub, value in SUB_TARGET_SHARE.items() if GROUP_OF[sub] == group}
            for sub, sub_share in fixed.items():
                _scale(matrix, (sub,), sub_share * ACTIVE_TARGET)
            rest = tuple(sub for sub in SUBCATEGORIES if GROUP_OF[sub] == group and sub not in fixed)
            _scale(matrix, rest, (share - sum(fixed.values())) * ACTIVE_TARGET)
    return _round_matrix(matrix, ages)


def _scale(matrix: dict[int, dict[str, float]], members: tuple[str, ...], total: float) -> None:
    """Scale the `members` columns together so they sum to `total`."""
    mass = sum(row[sub] for row in matrix.values() for sub in members)
    for row in matrix.values():
        for sub in members:
            row[sub] *= total / mass


def _round_matrix(matrix: dict[int, dict[str, float]], ages: dict[int, int]) -> dict[tuple[int, str], int]:
    """Integer cells keeping each age total and each sub-category's rounded total (so small categories such as
    elective home education survive): floors, then +1 to the largest remainders where both margins are short."""
    exact = {(age, sub): value for age, row in matrix.items() for sub, value in row.items()}
    cells = {key: math.floor(value) for key, value in exact.items()}
    column_totals = _round_to({sub: sum(row[sub] for row in matrix.values()) for sub in SUBCATEGORIES},
                              sum(ages.values()))
    by_remainder = sorted(exact, key=lambda key: (cells[key] - exact[key], key))
    for respect_columns in (True, False):
        for age, sub in by_remainder:
            row_short = ages[age] - sum(cells[(age, s)] for s in SUBCATEGORIES)
            column_short = column_totals[sub] - sum(cells[(a, sub)] for a in ages)
            if row_short > 0 and (column_short > 0 or not respect_columns) and exact[(age, sub)] > 0:
                cells[(age, sub)] += 1
    return cells


def _need_shares(row: dict[str, str]) -> dict[str, float]:
    counts = {need: _number(row[f"number_{need.lower()}"]) for need in NEEDS}
    total = sum(counts.values()) or 1.0
    return {need: count / total for need, count in counts.items()}


def _smoothed(local: list[dict[str, str]], national: list[dict[str, str]], pseudo: float = 30.0) -> dict[str, float]:
    """Need shares from Trafford rows, smoothed with `pseudo` plans at the England shares."""
    counts = {need: sum(_number(r[f"number_{need.lower()}"]) for r in local) for need in NEEDS}
    england = {need: sum(_number(r[f"number_{need.lower()}"]) for r in national) for need in NEEDS}
    england_total = sum(england.values()) or 1.0
    mixed = {need: counts[need] + pseudo * england[need] / england_total for need in NEEDS}
    total = sum(mixed.values())
    return {need: value / total for need, value in mixed.items()}


def calibrate() -> Calibration:
    """Read the DfE 2025 tables and derive everything the generator draws from."""
    caseload = _dfe_rows("caseload.csv", "202425")
    needs = _dfe_rows("sen_needs_all_plans.csv", "202425")
    ages = _age_totals(caseload)
    cells = _placement_cells(caseload, ages)
    local = [r for r in needs if r["la_name"] == CALIBRATION_LA]
    england = [r for r in needs if r["geographic_level"] == "National"]

    def rows(source: list[dict[str, str]], topic: str, breakdowns: Iterable[str]) -> list[dict[str, str]]:
        wanted = set(breakdowns)
        return [r for r in source if r["breakdown_topic"] == topic and r["breakdown"] in wanted]

    need_by_group = {group: _smoothed(rows(local, "Type of placement", names), rows(england, "Type of placement",
                                                                                     names))
                     for group, names in NEED_ROWS.items()}
    need_by_age = {}
    for age in ages:
        label = "age 3" if age < 4 else f"age {age}"
        national_label = "under 3" if age < 3 else label
        need_by_age[age] = _smoothed(rows(local, "Child or young persons age", [label]),
                                     rows(england, "Child or young persons age", [national_label]))
    overall_row = rows(local, "All EHC plans", ["All EHC plans"])[0]
    sex_rows = {r["breakdown"]: r for r in rows(local, "Sex", ["Male", "Female"])}
    male_by_need = {need: (_number(sex_rows["Male"][f"number_{need.lower()}"]) + 1)
                    / (_number(sex_rows["Male"][f"number_{need.lower()}"])
                       + _number(sex_rows["Female"][f"number_{need.lower()}"]) + 2) for need in NEEDS}
    trafford_all = next(r for r in caseload if r["la_name"] == CALIBRATION_LA
                        and r["breakdown_topic"] == "All EHC plans")
    trafford = {"plans": _number(trafford_all["ehcplans"]), "male": _number(sex_rows["Male"]["ehc_plans"]),
                **{f"pc_{need}": 100 * share for need, share in _need_shares(overall_row).items()}}
    for group, cols in SUBCATEGORIES.items():
        trafford[f"n_{group}"] = sum(_number(trafford_all[c]) for c in cols)
    return Calibration(ages, cells, need_by_group, need_by_age, _need_shares(overall_row), male_by_need, trafford)


# ---------------------------------------------------------------------------------------------------------------
# Persons
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Person:
    """One row of persons.csv (dates as date objects until written)."""

    number: int
    age: int  # age on 31 August before the census (or before the cease date for ceased plans)
    sub: str  # placement sub-category
    birth: date
    sex: str
    postcode: Postcode
    need1: str
    need2: str = ""
    plan_start: date | None = None
    cease: date | None = None
    last_review: date | None = None
    urn: int | None = None
    ukprn: int | None = None
    setting_code: str = ""
    unit: str = ""
    rp: str = ""
    entry: date | None = None
    request: date | None = None
    person_id: str = ""
    upn: str = ""


SECOND_NEEDS = {"ASD": ("SLCN", "SEMH", "MLD"), "SLCN": ("ASD", "MLD", "SEMH"), "SEMH": ("ASD", "SLCN", "SPLD"),
                "MLD": ("SLCN", "ASD", "SPLD"), "SLD": ("PD", "ASD", "SLCN"), "PMLD": ("PD", "VI", "MSI"),
                "PD": ("SLCN", "MLD", "VI"), "HI": ("SLCN", "PD"), "VI": ("PD", "SLCN"), "SPLD": ("SLCN", "SEMH"),
                "MSI": ("PD", "SLCN"), "OTH": ("SEMH", "SLCN")}


def _birth_date(rng: random.Random, age: int, on: date) -> date:
    """A birth date making the person `age` on `on` (an age-on-31-August date)."""
    latest = date(on.year - age, on.month, on.day)
    return latest - timedelta(days=rng.randrange(365))


def _draw_need(rng: random.Random, cal: Calibration, age: int, group: str) -> str:
    by_age = cal.need_by_age.get(age) or cal.need_by_age[max(a for a in cal.need_by_age if a <= max(age, 2))]
    weights = [cal.need_by_group[group][n] * by_age[n] / max(cal.need_overall[n], 1e-4) for n in NEEDS]
    return rng.choices(NEEDS, weights=weights)[0]


def _plan_dates(rng: random.Random, person: Person, until: date) -> None:
    """Plan start (age when started from the DfE profile), request, last annual review."""
    years_old = (until - person.birth).days / 365.25
    start_age = min(years_old - 0.15, max(2.0, rng.choices((3, 4, 5, 7, 9, 11, 13, 15, 17), weights=(
        2, 38, 35, 44, 50, 34, 27, 15, 5))[0] + rng.random()))
    start = person.birth + timedelta(days=round(start_age * 365.25))
    if start < date(2014, 9, 1):  # statements transferred to EHC plans from September 2014 to March 2018
        start = date(2014, 9, 1) + timedelta(days=rng.randrange(1300))
    person.plan_start = min(start, until - timedelta(days=20))
    if person.plan_start >= date(2018, 4, 1) and rng.random() > 0.04:
        person.request = person.plan_start - timedelta(weeks=rng.randint(14, 34), days=rng.randrange(7))
    if (until - person.plan_start).days > 365 and rng.random() > 0.02:
        years = (until - person.plan_start).days // 365
        review = date(person.plan_start.year + years, person.plan_start.month, min(person.plan_start.day, 28))
        review -= timedelta(days=rng.randint(0, 45))
        if rng.random() < 0.12 and years > 1:  # overdue: last review more than a year ago
            review -= timedelta(days=365)
        person.last_review = min(review, until - timedelta(days=3))


def _term_start_after(day: date) -> date:
    for candidate in (date(day.year, 1, 6), date(day.year, 4, 22), date(day.year, 9, 4), date(day.year + 1, 1, 6)):
        if candidate >= day:
            return candidate
    return date(day.year + 1, 1, 6)


def _entry_date(rng: random.Random, person: Person, est: Establishment | None, until: date) -> date | None:
    """When the person joined the current setting: start of the phase there, later if placed after the plan."""
    if est is None and person.ukprn is None:
        return None
    entry_age = {"primary": 4, "allthrough": 4, "secondary": 11, "sixthform": 16, "fe": 16, "spi": 16}.get(
        est.role if est else "fe", max(est.low or 4, 4) if est else 16)
    if est is not None and est.low is not None and est.role in ("primary", "allthrough") and est.low < 4:
        entry_age = min(person.age, 3)
    if person.ukprn is not None:
        entry_age = max(16, person.age - rng.choice((0, 0, 1, 2)))
    entry_age = min(entry_age, person.age)
    entry = date(AGE_DATE.year - (person.age - entry_age), 9, 4) if until > AGE_DATE else date(
        AGE_DATE.year - 1 - (person.age - entry_age), 9, 4)
    if person.sub in ("SS", "IS", "RP", "AP") and person.plan_start and person.plan_start > entry:
        entry = _term_start_after(person.plan_start + timedelta(days=rng.randint(20, 120)))
    if person.sub == "AP":
        entry = until - timedelta(days=rng.randint(15, 240))
    return min(entry, until - timedelta(days=1))


def _km(postcode: Postcode, est: Establishment) -> float:
    return math.hypot(postcode.easting - est.postcode.easting, postcode.northing - est.postcode.northing) / 1000


ROLE_MAINSTREAM = ("primary", "secondary", "allthrough", "sixthform")
FALLBACKS = {"MS": ("FE_GFE", "SS"), "RP": ("MS",), "SS": ("IS",), "IS": ("SS",), "AP": ("SS", "OTH"),
             "FE_SPI": ("FE_GFE",), "FE_GFE": ("NEET",)}
SETTING_CODES = {"EHE": "EHE", "NEET": "NEET", "NIEO": "NIEO", "OTH": "OTH", "UNK": ""}


class Placer:
    """Chooses each person's setting: nearby, age- and need-compatible, within (slightly stretched) capacity."""

    def __init__(self, rng: random.Random, establishments: Sequence[Establishment]) -> None:
        self.rng = rng
        self.establishments = establishments

    def _open(self, roles: Sequence[str], age: int, day: date) -> list[Establishment]:
        return [e for e in self.establishments if e.role in roles and e.open_on(day) and e.takes_age(age)]

    def place(self, person: Person, day: date) -> None:
        """Set the person's urn / ukprn / setting code, trying the fallbacks when the first choice has no room."""
        for sub in (person.sub, *FALLBACKS.get(person.sub, ())):
            if getattr(self, f"_place_{GROUP_OF[sub].lower()}")(person, sub, day):
                person.sub = sub
                break
        else:
            person.sub, person.setting_code = "OTH", "OTH"
        if person.urn is not None and not person.unit:
            person.unit = person.rp = "N"

    def _choose(self, ranked: list[Establishment], weights: Sequence[float]) -> Establishment:
        return self.rng.choices(ranked[: len(weights)], weights=weights[: len(ranked)])[0]

    def _place_ms(self, person: Person, sub: str, day: date) -> bool:
        if person.age >= 4 and self.rng.random() < 0.015:
            independent = self._open(("indep",), person.age, day)
            if independent:
                self._enrol(person, independent[0])
                return True
        options = [e for e in self._open(ROLE_MAINSTREAM, person.age, day) if not (e.capacity is None and
                   e.blank_pupils) and (e.gender == "Mixed" or (person.sex, e.gender) in (("M", "Boys"),
                                                                                         ("F", "Girls")))]
        if not options:
            return False
        options.sort(key=lambda e: _km(person.postcode, e) * (1 if e.admissions != "Selective" else (
            3 if person.need1 in ("SPLD", "HI", "VI", "PD", "ASD") else 12)))
        self._enrol(person, self._choose(options, (0.55, 0.25, 0.12, 0.08)))
        return True

    def _place_rp(self, person: Person, sub: str, day: date) -> bool:
        hosts = [e for e in self._open(ROLE_MAINSTREAM, person.age, day)
                 if (e.rp_places or 0) > e.rp_roll or (e.unit_places or 0) > e.unit_roll]
        matching = [e for e in hosts if person.need1 in e.sen or not person.need1]
        if not (matching or hosts):
            return False
        host = min(matching or hosts, key=lambda e: _km(person.postcode, e))
        unit = (host.unit_places or 0) > host.unit_roll and (
            (host.rp_places or 0) <= host.rp_roll or self.rng.random() < 0.6)
        self._enrol(person, host)
        if unit:
            host.unit_roll += 1
        else:
            host.rp_roll += 1
        person.unit, person.rp = ("Y", "N") if unit else ("N", "Y")
        return True

    def _place_ss(self, person: Person, sub: str, day: date) -> bool:
        def room(e: Establishment) -> bool:
            limit = math.ceil((e.capacity or 0) * 1.08) if e.in_area else round((e.capacity or 0) * 0.2)
            return e.roll < limit

        def score(e: Establishment) -> float:
            matched = not e.sen or person.need1 in e.sen or not person.need1
            return _km(person.postcode, e) + (0 if matched else 20) + (0 if e.in_area else 8)

        options = sorted((e for e in self._open(("special",), person.age, day) if room(e)), key=score)
        if not options:
            return False
        self._enrol(person, self._choose(options, (0.75, 0.25)))
        return True

    def _place_is(self, person: Person, sub: str, day: date) -> bool:
        options: list[Establishment | int] = []
        weights: list[float] = []
        for e in self._open(("indep_special",), person.age, day):
            if e.roll < (e.capacity or 30):
                sensory = e.type_name == "Non-maintained special school"
                options.append(e)
                weights.append((1.0 if e.in_area else 0.9) * (0.25 if sensory and person.need1 not in e.sen else 1))
        if 5 <= person.age <= 18:
            options.extend(ABSENT_URNS)
            weights.extend([0.35] * len(ABSENT_URNS))
        if not options:
            return False
        choice = self.rng.choices(options, weights=weights)[0]
        if isinstance(choice, int):
            person.urn = choice
        else:
            self._enrol(person, choice)
        return True

    def _place_ap(self, person: Person, sub: str, day: date) -> bool:
        options = [e for e in self._open(("pru", "ap"), person.age, day)
                   if e.roll < (e.capacity or int(e.extra.get("PlacesPRU", "0")))]
        if not options:
            return False
        self._enrol(person, min(options, key=lambda e: _km(person.postcode, e)))
        return True

    def _place_fe(self, person: Person, sub: str, day: date) -> bool:
        if person.age < 16:
            return False
        if sub == "FE_UKRLP":
            person.ukprn = self.rng.choice((10995002, 10995003))
            return True
        if sub == "FE_SPI":
            spi = [e for e in self._open(("spi",), person.age, day) if e.roll < (e.capacity or 0)]
            if spi and self.rng.random() < 0.7:
                spi[0].roll += 1
                person.ukprn = spi[0].ukprn
            else:
                person.ukprn = 10995001
            return True
        colleges = self._open(("fe",), person.age, day)
        if not colleges:
            return False
        college = self.rng.choices(colleges, weights=[3.0 if c.in_area else 1.0 for c in colleges])[0]
        college.roll += 1
        person.ukprn = college.ukprn
        return True

    def _place_none(self, person: Person, sub: str, day: date) -> bool:
        if sub == "NEET" and person.age < 16:
            return False
        person.setting_code = SETTING_CODES[sub]
        return True

    @staticmethod
    def _enrol(person: Person, est: Establishment) -> None:
        person.urn = est.urn
        est.roll += 1


def _finish(rng: random.Random, person: Person, placer: Placer, until: date) -> None:
    """Dates, setting, second need for a person whose age, placement group and need are drawn."""
    _plan_dates(rng, person, until)
    placer.place(person, until)
    est = next((e for e in placer.establishments if e.urn == person.urn), None)
    if person.urn in ABSENT_URNS:
        est = Establishment(person.urn, HOME, "", "", "", "indep_special", 5, 19, None, person.postcode)
    person.entry = _entry_date(rng, person, est, until)
    if person.need1 and rng.random() < 0.35:
        person.need2 = rng.choice(SECOND_NEEDS[person.need1])


def build_active(rng: random.Random, cal: Calibration, homes: Sequence[Postcode], placer: Placer) -> list[Person]:
    """The ~1,500 persons with a plan on the census date, drawn cell by cell from the calibration."""
    persons = []
    for (age, sub), count in sorted(cal.cells.items()):
        for _ in range(count):
            need = _draw_need(rng, cal, age, GROUP_OF[sub])
            sex = "M" if rng.random() < cal.male_by_need[need] else "F"
            persons.append(Person(0, age, sub, _birth_date(rng, age, AGE_DATE), sex, rng.choice(homes), need))
    rng.shuffle(persons)  # placement order must not favour any age or need
    for person in persons:
        _finish(rng, person, placer, CENSUS)
    recent = [p for p in persons if p.plan_start and p.plan_start >= date(2024, 3, 1)
              and GROUP_OF[p.sub] in ("MS", "FE", "NONE")]
    for person in rng.sample(recent, k=round(0.01 * len(persons))):
        person.need1 = person.need2 = ""  # primary need not yet recorded
    for person in rng.sample(persons, k=4):
        person.sex = ""
    return persons


CEASED_PLACEMENT = {  # placement at cease by age band (shaped on Trafford's 2024 ceased plans by placement)
    "child": {"MS": 45, "SS": 20, "RP": 5, "AP": 5, "EHE": 10, "OTH": 10, "IS": 5},
    "16-17": {"FE_GFE": 40, "MS": 15, "SS": 15, "NEET": 25, "IS": 5},
    "18+": {"FE_GFE": 40, "FE_SPI": 5, "FE_UKRLP": 5, "NEET": 45, "OTH": 5},
}


def build_ceased(rng: random.Random, homes: Sequence[Postcode], placer: Placer, cal: Calibration) -> list[Person]:
    """~150 plans ceased in calendar 2024 (ages from Trafford's 2024 ceased plans)."""
    rows = [r for r in _dfe_rows("ceased_plans.csv", "2024")
            if r["la_name"] == CALIBRATION_LA and r["breakdown_topic"] == "Age plan ceased"]
    weights: dict[int, float] = {}
    for row in rows:
        age = _age_of(row["breakdown"])
        if age is not None:
            weights[age] = _number(row["total_ceased"])
        elif row["breakdown"] == "age 20 and over":
            for extra, share in zip(range(20, 25), (0.35, 0.25, 0.2, 0.12, 0.08), strict=True):
                weights[extra] = _number(row["total_ceased"]) * share
    persons = []
    for age, count in sorted(_round_to(weights, CEASED_TARGET).items()):
        for _ in range(count):
            band = "child" if age < 16 else ("16-17" if age < 18 else "18+")
            sub = rng.choices(list(CEASED_PLACEMENT[band]), weights=list(CEASED_PLACEMENT[band].values()))[0]
            if age >= 16 and rng.random() < 0.55:
                cease = date(2024, 7, 1) + timedelta(days=rng.randrange(77))
            else:
                cease = date(2024, 1, 8) + timedelta(days=rng.randrange(347))
            year_start = AGE_DATE if cease > AGE_DATE else date(2023, 8, 31)
            need = _draw_need(rng, cal, min(max(age, 2), 24), GROUP_OF[sub])
            sex = "M" if rng.random() < cal.male_by_need[need] else "F"
            person = Person(0, age, sub, _birth_date(rng, age, year_start), sex, rng.choice(homes), need,
                            cease=cease)
            _finish(rng, person, placer, cease)
            persons.append(person)
    return persons


def attend_closed_infant(rng: random.Random, ceased: Sequence[Person], establishments: Sequence[Establishment]) -> None:
    """Two ceased plans whose last school is the infant school that closed in August 2024 (history keeps URNs)."""
    infant = next(e for e in establishments if e.status == "Closed" and e.role == "primary" and e.low == 4)
    young = [p for p in ceased if GROUP_OF[p.sub] == "MS" and 4 <= p.age <= 8 and p.plan_start
             and date(2020, 9, 1) <= p.plan_start < date(2024, 2, 1)]
    if not young:
        raise RuntimeError("no ceased plan young enough for the closed infant school: change SEED or the rule")
    for person in rng.sample(young, k=min(2, len(young))):
        person.age = 5  # Year 1 in 2023/24
        person.birth = _birth_date(rng, 5, date(2023, 8, 31))
        person.cease = date(2024, rng.randint(3, 7), rng.randint(1, 28))
        person.urn, person.unit, person.rp = infant.urn, "N", "N"
        person.entry = _entry_date(rng, person, infant, person.cease)
        if person.last_review and person.last_review >= person.cease:
            person.last_review = None


def _upn(rng: random.Random, taken: set[str], birth: date) -> str:
    """A UPN-shaped fictional id: DfE check letter, LA 990, a school number, year, serial, final letter."""
    while True:
        body = f"990{rng.randint(2000, 7999):04d}{(birth.year + 5) % 100:02d}{rng.randint(0, 99):02d}"
        last = rng.choice(UPN_CHECK)
        values = [int(ch) for ch in body] + [UPN_CHECK.index(last)]
        check = UPN_CHECK[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23]
        upn = f"{check}{body}{last}"
        if upn not in taken:
            taken.add(upn)
            return upn


def number_persons(rng: random.Random, persons: list[Person]) -> None:
    """Person ids and UPNs in a shuffled order (a case-management export is in id order, not by age)."""
    rng.shuffle(persons)
    taken: set[str] = set()
    for number, person in enumerate(persons, start=1):
        person.number = number
        person.person_id = f"P{number:05d}"
        person.upn = _upn(rng, taken, person.birth)


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def person_row(person: Person) -> list[str]:
    return [person.person_id, person.upn, f"Forename{person.number:04d}", f"Surname{person.number:04d}",
            _iso(person.birth), person.sex, person.postcode.text if isinstance(person.postcode, Postcode)
            else person.postcode, person.need1, person.need2, _iso(person.plan_start), _iso(person.cease),
            _iso(person.last_review), "" if person.urn is None else str(person.urn),
            "" if person.ukprn is None else str(person.ukprn), person.setting_code, person.unit, person.rp,
            _iso(person.entry), _iso(person.request)]


def bad_examples(rng: random.Random, persons: Sequence[Person], terminated: Sequence[Postcode],
                 establishments: Sequence[Establishment], live: Sequence[Postcode]) -> list[list[str]]:
    """persons_bad_examples.csv: copies of clean active rows, each broken in exactly one way (see README)."""
    known = {p.text for p in (*live, *terminated)}
    unknown = next(f"ZW3 {d}{a}{b}" for d in "98" for a in "ZYX" for b in "ZYX" if f"ZW3 {d}{a}{b}" not in known)
    closed = next(e.urn for e in establishments if e.status == "Closed" and e.role == "primary" and e.la is HOME)
    templates = [p for p in persons if p.cease is None and p.urn is not None and p.need1 and 6 <= p.age <= 14]
    defects = (
        ("BAD01", "postcode", terminated[0].text),  # terminated (NSPL doterm set; not in Code-Point)
        ("BAD02", "postcode", unknown),  # shaped like a postcode, in neither file
        ("BAD03", "birth_date", "1997-09-20"),  # 27 at the census date: past the age-25 limit
        ("BAD04", "urn", "9901O5"),  # letter O typed for a zero: not a URN
        ("BAD05", "urn", str(closed)),  # a school that closed in August 2024
        ("BAD06", "postcode", "ZV3 4Q"),  # truncated postcode
    )
    rows = []
    for person_id, column, value in defects:
        row = person_row(rng.choice(templates))
        row[0], row[2], row[3] = person_id, f"Forename{person_id}", f"Surname{person_id}"
        row[PERSON_COLUMNS.index(column)] = value
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------------------------
# GIAS rows
# ---------------------------------------------------------------------------------------------------------------

def _pupils(rng: random.Random, est: Establishment) -> int | None:
    """NumberOfPupils: roll of the council's children + others for specialist settings; ~capacity otherwise."""
    if est.blank_pupils or est.status == "Closed":
        return None
    if est.role in ("special", "indep_special", "pru", "ap", "spi"):
        others = rng.randint(1, 5) if est.in_area else round((est.capacity or 40) * rng.uniform(0.7, 0.9))
        return est.roll + others
    base = est.capacity or {"primary": 380, "secondary": 1150}.get(est.role, 400)
    return round(base * rng.uniform(0.82, 1.04))


def _gias_identity(est: Establishment) -> dict[str, str]:
    type_code, group_code, group_name = GIAS_TYPES[est.type_name]
    sixth = est.high is not None and est.high >= 18 and est.role not in ("fe", "spi")
    school = est.role not in ("fe", "spi")
    nursery = "Has Nursery Classes" if est.role in ("primary", "allthrough") and (est.low or 4) < 4 else (
        "No Nursery Classes" if school else "Not applicable")
    return {
        "URN": str(est.urn), "LA (code)": est.la.code, "LA (name)": est.la.name,
        "EstablishmentNumber": est.number, "EstablishmentName": est.name, "TypeOfEstablishment (code)": type_code,
        "TypeOfEstablishment (name)": est.type_name, "EstablishmentTypeGroup (code)": group_code,
        "EstablishmentTypeGroup (name)": group_name, "EstablishmentStatus (code)": STATUS_CODES[est.status],
        "EstablishmentStatus (name)": est.status, "ReasonEstablishmentOpened (code)": est.reason_open[0],
        "ReasonEstablishmentOpened (name)": est.reason_open[1], "OpenDate": est.open_date,
        "ReasonEstablishmentClosed (code)": est.reason_close[0],
        "ReasonEstablishmentClosed (name)": est.reason_close[1], "CloseDate": est.close_date,
        "PhaseOfEducation (code)": PHASE_CODES[est.phase], "PhaseOfEducation (name)": est.phase,
        "StatutoryLowAge": "" if est.low is None else str(est.low),
        "StatutoryHighAge": "" if est.high is None else str(est.high),
        "Boarders (code)": "2" if est.boarding else "1",
        "Boarders (name)": "Boarding school" if est.boarding else "No boarders", "NurseryProvision (name)": nursery,
        "OfficialSixthForm (code)": ("1" if sixth else "2") if school else "0",
        "OfficialSixthForm (name)": ("Has a sixth form" if sixth else "Does not have a sixth form") if school
        else "Not applicable",
        "Gender (code)": GENDER_CODES[est.gender], "Gender (name)": est.gender,
        "ReligiousCharacter (code)": est.religion[0], "ReligiousCharacter (name)": est.religion[1],
        "ReligiousEthos (name)": {"00": "Does not apply", "06": "Inter- / non- denominational"}.get(
            est.religion[0], est.religion[1]),
        "Diocese (code)": {"02": "CE99", "03": "RC99"}.get(est.religion[0], "0000"),
        "Diocese (name)": {"02": "Diocese of Zedbury", "03": "Diocese of the Vale"}.get(est.religion[0],
                                                                                      "Not applicable"),
        "AdmissionsPolicy (code)": ADMISSIONS_CODES[est.admissions], "AdmissionsPolicy (name)": est.admissions,
    }


def _gias_numbers(rng: random.Random, est: Establishment) -> dict[str, str]:
    pupils = _pupils(rng, est)
    boys = None if pupils is None else {"Boys": pupils, "Girls": 0}.get(est.gender, round(pupils * (
        0.74 if est.role in ("special", "indep_special", "pru", "ap") else rng.uniform(0.47, 0.54))))
    academy = est.type_name.startswith(("Academy", "Free schools"))
    maintained = GIAS_TYPES[est.type_name][1] == "4" or est.type_name.endswith(("special school", "unit")) and \
        not est.type_name.startswith(("Other", "Non"))
    fsm = None if pupils is None or est.role in ("indep", "indep_special", "fe") else rng.uniform(6, 38)
    return {
        "SchoolCapacity": "" if est.capacity is None else str(est.capacity),
        "SpecialClasses (code)": "1" if est.rp_places or est.unit_places else "2",
        "SpecialClasses (name)": "Has Special Classes" if est.rp_places or est.unit_places else "No Special Classes",
        "CensusDate": "" if pupils is None else "16-01-2025",
        "NumberOfPupils": "" if pupils is None else str(pupils),
        "NumberOfBoys": "" if boys is None else str(boys),
        "NumberOfGirls": "" if pupils is None or boys is None else str(pupils - boys),
        "PercentageFSM": "" if fsm is None else f"{fsm:.1f}",
        "FSM": "" if fsm is None or pupils is None else str(round(pupils * fsm / 100)),
        "TrustSchoolFlag (code)": "3" if academy else "0",
        "TrustSchoolFlag (name)": "Supported by a multi-academy trust" if academy else "Not applicable",
        "Trusts (code)": est.trust[0], "Trusts (name)": est.trust[1],
        "SchoolSponsorFlag (name)": "Linked to a sponsor" if est.sponsor else "Not applicable",
        "SchoolSponsors (name)": est.sponsor,
        "FederationFlag (name)": "Not under a federation" if maintained else "Not applicable",
        "UKPRN": str(est.ukprn or (10990100 + est.urn % 1000 + 1000 * (int(est.la.code) - 990))),
        "FurtherEducationType (name)": est.fe_type,
        "LastChangedDate": f"{rng.randint(1, 28):02d}-{rng.randint(1, 3):02d}-2025",
        "PreviousLA (code)": "999", "QABName (code)": "0", "QABName (name)": "Not applicable",
        "EstablishmentAccredited (code)": "0", "EstablishmentAccredited (name)": "Not applicable",
    }


STREETS = ("Road", "Lane", "Street", "Avenue", "Way", "Drive", "Close", "Hill")


def _gias_contact(rng: random.Random, est: Establishment) -> dict[str, str]:
    ascii_name = unicodedata.normalize("NFKD", est.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z]+", "-", ascii_name.lower()).strip("-")
    title = rng.choice(("Mrs", "Mr", "Ms", "Miss", "Dr"))
    independent = est.type_name.startswith(("Other independent", "Non-maintained"))
    return {
        "Street": f"{rng.choice(PLACE_HEADS)}{rng.choice(('ing', 'ton', 'ley'))} {rng.choice(STREETS)}",
        "Locality": rng.choice(("", "", est.postcode.district.label)), "Town": est.postcode.district.label,
        "Postcode": est.postcode.text, "SchoolWebsite": f"http://www.{slug}.example",
        "TelephoneNum": f"01632960{est.urn % 1000:03d}", "HeadTitle (name)": title,
        "HeadFirstName": f"Headforename{est.urn % 10000:04d}", "HeadLastName": f"Headsurname{est.urn % 10000:04d}",
        "HeadPreferredJobTitle": "Principal" if est.role in ("fe", "spi", "sixthform") else "Headteacher",
        "BSOInspectorateName (name)": "Not applicable", "TeenMoth (name)": "Not applicable",
        "CCF (name)": "Not applicable", "SENPRU (name)": "Not applicable", "EBD (name)": "Not applicable",
        "EdByOther (name)": "Not applicable",
        "Section41Approved (name)": ("Approved" if est.role == "indep_special" else "Not approved")
        if independent or est.role in ("indep", "spi") else "Not applicable",
        "InspectorateName (name)": "Ofsted" if independent or est.role == "indep" else "",
        "SENStat": str(est.roll + rng.randint(0, 6)) if independent or est.role == "indep" else "",
        "SENNoStat": str(rng.randint(0, 9)) if independent or est.role == "indep" else "",
        "BoardingEstablishment (name)": ("Has boarders" if est.boarding else "Does not have boarders")
        if independent or est.role == "indep" else "",
        "PropsName": f"{est.name.split()[0]} Education Ltd" if independent or est.role == "indep" else "",
        "UPRN": f"9900{est.urn:06d}"[-12:],
    }


def _gias_sen(est: Establishment) -> dict[str, str]:
    row = {f"SEN{i} (name)": "" for i in range(1, 14)}
    for i, need in enumerate(est.sen, start=1):
        row[f"SEN{i} (name)"] = GIAS_SEN[need]
    if est.sen_blank_style:
        row["SEN1 (name)"] = est.sen_blank_style
    kind = {(True, False): "Resourced provision", (False, True): "SEN unit",
            (True, True): "Resourced provision and SEN unit"}.get((bool(est.rp_places), bool(est.unit_places)))
    school = est.role in (*ROLE_MAINSTREAM, "special", "pru", "ap")
    row["TypeOfResourcedProvision (name)"] = kind or ("Not applicable" if school else "")
    if est.rp_places:
        row["ResourcedProvisionOnRoll"], row["ResourcedProvisionCapacity"] = str(est.rp_roll), str(est.rp_places)
    if est.unit_places:
        row["SenUnitOnRoll"], row["SenUnitCapacity"] = str(est.unit_roll), str(est.unit_places)
    return row


def _gias_geography(rng: random.Random, est: Establishment) -> dict[str, str]:
    district = est.postcode.district
    urban = ("C1", "(England/Wales) Urban city and town") if district.urban else rng.choice(
        (("D1", "(England/Wales) Rural town and fringe"), ("E1", "(England/Wales) Rural village")))
    constituency = {"990": ("E14009901", "Zedbury and Vexham") if est.postcode.northing > 396_000 else (
        "E14009902", "Wenmoor and Zed Valley"), "991": ("E14009911", "Zedmouth"), "992": ("E14009921", "Wexmoor")}
    return {
        "GOR (code)": "B", "GOR (name)": "North West", "DistrictAdministrative (code)": est.la.gss,
        "DistrictAdministrative (name)": est.la.name, "AdministrativeWard (code)": est.postcode.ward,
        "AdministrativeWard (name)": est.postcode.ward_name,
        "ParliamentaryConstituency (code)": constituency[est.la.code][0],
        "ParliamentaryConstituency (name)": constituency[est.la.code][1], "UrbanRural (code)": urban[0],
        "UrbanRural (name)": urban[1], "GSSLACode (name)": est.la.gss,
        "Easting": str(est.postcode.easting + rng.randint(-40, 40)),
        "Northing": str(est.postcode.northing + rng.randint(-40, 40)), "MSOA (name)": est.postcode.msoa_name,
        "LSOA (name)": est.postcode.lsoa_name, "MSOA (code)": est.postcode.msoa, "LSOA (code)": est.postcode.lsoa,
    }


def gias_record(rng: random.Random, est: Establishment) -> dict[str, str]:
    """All 135 GIAS columns for one establishment."""
    row = dict.fromkeys(GIAS_COLUMNS, "")
    for part in (_gias_identity(est), _gias_numbers(rng, est), _gias_contact(rng, est), _gias_sen(est),
                 _gias_geography(rng, est), est.extra):
        row.update(part)
    if set(row) != set(GIAS_COLUMNS):
        raise ValueError(f"unknown GIAS columns: {sorted(set(row) - set(GIAS_COLUMNS))}")
    return row


def _gias_line(values: Iterable[tuple[str, str]]) -> str:
    cells = []
    for column, value in values:
        cells.append(value if column in GIAS_UNQUOTED else '"' + value.replace('"', '""') + '"')
    return ",".join(cells) + "\r\n"


def write_gias(rng: random.Random, establishments: Sequence[Establishment], path: Path) -> None:
    """GIAS quoting (text quoted, a few numeric columns bare), CRLF, Windows-1252 (latin-1 for these names)."""
    lines = [",".join(f'"{c}"' for c in GIAS_COLUMNS) + "\r\n"]
    for est in establishments:
        record = gias_record(rng, est)
        lines.append(_gias_line((column, record[column]) for column in GIAS_COLUMNS))
    path.write_bytes("".join(lines).encode("cp1252"))


# ---------------------------------------------------------------------------------------------------------------
# Code-Point Open, NSPL, persons, localities
# ---------------------------------------------------------------------------------------------------------------

def codepoint_line(postcode: Postcode) -> str:
    """One Code-Point Open record: quoted text, bare numbers; a PQI 90 unit has no coordinates or codes."""
    if postcode.pqi == 90:
        return f'"{postcode.pcd7}",90,0,0,"E92000001","","","","",""\r\n'
    return (f'"{postcode.pcd7}",{postcode.pqi},{postcode.easting},{postcode.northing},"E92000001","E19000001",'
            f'"E18000002","","{postcode.district.la.gss}","{postcode.ward}"\r\n')


def _zip_entry(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2025, 4, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, text.encode("ascii"))


LICENCE = """FICTIONAL TEST FILE - NOT ORDNANCE SURVEY DATA.

This archive has the layout of OS Code-Point Open (Data/CSV/<area>.csv, headerless; Doc/ with the column headers)
but every record in it is invented for placeplan's tests: the postcode areas ZV and ZW do not exist, and the
coordinates, ward and district codes are fictional. Real Code-Point Open is published by Ordnance Survey under the
Open Government Licence v3.0 ("Contains OS data (c) Crown copyright and database right"; "Contains Royal Mail data
(c) Royal Mail copyright and database right"; "Contains National Statistics data (c) Crown copyright and database
right"). Generated by tests/data/realshape/build_council.py.
"""


def write_codepoint(live: Sequence[Postcode], path: Path) -> None:
    """codepoint_open.zip: Data/CSV/zv.csv, zw.csv, Doc/Code-Point_Open_Column_Headers.csv, metadata, licence."""
    by_area: dict[str, list[Postcode]] = defaultdict(list)
    for postcode in sorted(live, key=lambda p: p.pcd7):
        by_area[postcode.outward[:2].lower()].append(postcode)
    metadata = ["ORDNANCE SURVEY", "PRODUCT: OS CODE-POINT OPEN (FICTIONAL TEST FILE)",
                "DATASET VERSION NUMBER: 2025.1.0", "COPYRIGHT DATE: 20250401", "RM UPDATE DATE: 20250328"]
    metadata += [f"{area.upper():>8}\t{len(rows)}" for area, rows in sorted(by_area.items())]
    with zipfile.ZipFile(path, "w") as archive:
        for area, rows in sorted(by_area.items()):
            _zip_entry(archive, f"Data/CSV/{area}.csv", "".join(codepoint_line(p) for p in rows))
        _zip_entry(archive, "Doc/Code-Point_Open_Column_Headers.csv",
                   ",".join(CODEPOINT_SHORT) + "\r\n" + ",".join(CODEPOINT_LONG) + "\r\n")
        _zip_entry(archive, "Doc/metadata.txt", "\r\n".join(metadata) + "\r\n")
        _zip_entry(archive, "Doc/licence.txt", LICENCE.replace("\n", "\r\n"))


def _lat_long(postcode: Postcode) -> tuple[float, float]:
    """Approximate WGS84 for a grid reference near 400000, 400000 (fictional data: a local linear fit)."""
    return (53.480_8 + (postcode.northing - 400_000) / 111_200,
            -2.000_0 + (postcode.easting - 400_000) / 66_190)


def nspl_line(rng: random.Random, postcode: Postcode) -> str:
    """One NSPL record (strings quoted; lat, long and imd bare), May 2025 column order."""
    la = postcode.district.la
    lsoa_number = int(postcode.lsoa[-3:]) if postcode.lsoa else 1
    lat, lon = (99.999999, 0.0) if postcode.pqi == 90 else _lat_long(postcode)
    urban = postcode.district.urban
    fields = {
        "pcd": postcode.pcd7, "pcd2": postcode.pcd8, "pcds": postcode.text, "dointr": postcode.introduced,
        "doterm": postcode.terminated, "usertype": "0",
        "oseast1m": "" if postcode.pqi == 90 else f"{postcode.easting:06d}",
        "osnrth1m": "" if postcode.pqi == 90 else f"{postcode.northing:07d}",
        "osgrdind": "9" if postcode.pqi == 90 else "1",
        "oa21": f"E00{la.code}{(lsoa_number - 1) * 5 + rng.randrange(5) + 1:03d}", "cty": "E99999999",
        "ced": "E99999999", "laua": la.gss, "ward": postcode.ward, "nhser": "E40000010", "ctry": "E92000001",
        "rgn": "E12000002", "pcon": {"990": "E14009901", "991": "E14009911", "992": "E14009921"}[la.code],
        "ttwa": "E30000990", "itl": la.gss, "park": "E99999999", "lsoa21": postcode.lsoa, "msoa21": postcode.msoa,
        "wz11": f"E33{la.code}{lsoa_number:03d}", "sicbl": "E38000990",
        "bua24": f"E63{la.code}{ord(postcode.district.label[0]) % 100:03d}" if urban else "",
        "ruc21": "UN1" if urban else rng.choice(("RLN1", "RSN1")), "oac11": rng.choice(("2B1", "3A2", "6A1", "7C2")),
        "lep1": "E37000990", "lep2": "", "pfa": "E23000990", "icb": "E54000990",
    }
    cells = [f'"{fields[c]}"' for c in NSPL_COLUMNS[:28]]
    cells += [f"{lat:.6f}", f"{lon:.6f}", f'"{fields["lep1"]}"', f'"{fields["lep2"]}"', f'"{fields["pfa"]}"',
              str(rng.randint(1, 33755)), f'"{fields["icb"]}"']
    return ",".join(cells) + "\r\n"


def write_nspl(rng: random.Random, postcodes: Sequence[Postcode], path: Path) -> None:
    lines = [",".join(NSPL_COLUMNS) + "\r\n"] + [nspl_line(rng, p) for p in sorted(postcodes, key=lambda p: p.pcd7)]
    path.write_text("".join(lines), encoding="utf-8", newline="")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def locality_rows(live: Sequence[Postcode]) -> list[list[str]]:
    rows = []
    for locality_id, name in LOCALITIES:
        codes = sorted({p.lsoa for p in live if p.district.locality == locality_id and p.lsoa})
        rows.append([locality_id, name, ";".join(codes)])
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Figures (README) and main
# ---------------------------------------------------------------------------------------------------------------

def _age_at(person: Person, day: date) -> int:
    return day.year - person.birth.year - ((day.month, day.day) < (person.birth.month, person.birth.day))


def setting_figures(establishments: Sequence[Establishment], active: Sequence[Person]) -> dict[str, str]:
    """Counts of GIAS rows, settings by role and LA, places and the council's children in them."""
    figs: dict[str, str] = {"gias_rows": str(len(establishments))}
    for la in AUTHORITIES.values():
        figs[f"gias_rows_{la.code}"] = str(sum(e.la is la for e in establishments))
    for status, key in zip(STATUS_CODES, ("open", "closed", "proposed_to_close", "proposed_to_open"), strict=True):
        figs[f"gias_status_{key}"] = str(sum(e.status == status for e in establishments))
    current = [e for e in establishments if e.status != "Closed"]
    for role in ("primary", "secondary", "allthrough", "sixthform", "special", "pru", "ap", "indep_special",
                 "indep", "fe", "spi"):
        for la in AUTHORITIES.values():
            count = sum(e.role == role and e.la is la for e in current)
            if count:
                figs[f"settings_{la.code}_{role}"] = str(count)
    home_specials = [e for e in current if e.la is HOME and e.role == "special" and e.status != "Proposed to open"]
    figs["special_academies_990"] = str(sum(e.type_name.startswith(("Academy special", "Free schools special"))
                                            for e in home_specials))
    figs["special_places_990"] = str(sum(e.capacity or 0 for e in home_specials))
    figs["special_children_990"] = str(sum(e.roll for e in home_specials))
    figs["special_children_all"] = str(sum(p.sub == "SS" for p in active))
    figs["rp_places_990"] = str(sum(e.rp_places or 0 for e in current if e.la is HOME))
    figs["unit_places_990"] = str(sum(e.unit_places or 0 for e in current if e.la is HOME))
    figs["rp_hosts_990"] = str(sum(bool(e.rp_places or e.unit_places) for e in current if e.la is HOME))
    return figs


def person_figures(active: Sequence[Person], ceased: Sequence[Person],
                   establishments: Sequence[Establishment]) -> dict[str, str]:
    """Persons by placement, need, sex and age (active plans at the census), plus the ceased count."""
    urns_by_la: dict[str, set[int]] = defaultdict(set)
    ukprns_by_la: dict[str, set[int]] = defaultdict(set)
    for est in establishments:
        urns_by_la["closed" if est.status == "Closed" else est.la.code].add(est.urn)
        if est.ukprn:
            ukprns_by_la[est.la.code].add(est.ukprn)
    figs = {"persons_rows": str(len(active) + len(ceased)), "persons_active": str(len(active)),
            "persons_ceased": str(len(ceased))}
    for key, counter in (("group", Counter(GROUP_OF[p.sub] for p in active)), ("sub", Counter(p.sub for p in active)),
                         ("need1", Counter(p.need1 or "blank" for p in active)),
                         ("sex", Counter(p.sex or "blank" for p in active))):
        for name, count in sorted(counter.items()):
            figs[f"active_{key}_{name}"] = str(count)
    ages = [_age_at(p, CENSUS) for p in active]
    figs["active_age_min"], figs["active_age_max"] = str(min(ages)), str(max(ages))
    bands = Counter("early_years" if p.age < 4 else "primary" if p.age <= 10 else "secondary" if p.age <= 15
                    else "post16" if p.age <= 18 else "post19" for p in active)
    for band, count in sorted(bands.items()):
        figs[f"active_phase_{band}"] = str(count)
    for label, age in (("reception", 4), ("year6", 10), ("year11", 15)):
        figs[f"active_{label}"] = str(sum(p.age == age for p in active))
    figs["active_need2_given"] = str(sum(bool(p.need2) for p in active))
    for la in (WEST, EAST):
        figs[f"active_at_{la.code}"] = str(sum(p.urn in urns_by_la[la.code] or p.ukprn in ukprns_by_la[la.code]
                                               for p in active))
    figs["ceased_at_closed_school"] = str(sum(p.urn in urns_by_la["closed"] for p in ceased))
    figs["active_absent_urn"] = str(sum(p.urn in ABSENT_URNS for p in active))
    figs["active_absent_ukprn"] = str(sum(p.ukprn in ABSENT_UKPRNS for p in active))
    figs["absent_urns"] = ";".join(str(u) for u in ABSENT_URNS)
    figs["absent_ukprns"] = ";".join(str(u) for u in ABSENT_UKPRNS)
    return figs


def postcode_figures(live: Sequence[Postcode], terminated: Sequence[Postcode],
                     persons: Sequence[Person]) -> dict[str, str]:
    return {
        "codepoint_rows": str(len(live)), "codepoint_rows_zv": str(sum(p.outward.startswith("ZV") for p in live)),
        "codepoint_rows_zw": str(sum(p.outward.startswith("ZW") for p in live)),
        "codepoint_pqi90": str(sum(p.pqi == 90 for p in live)), "nspl_rows": str(len(live) + len(terminated)),
        "nspl_terminated": str(len(terminated)), "terminated_postcodes": ";".join(p.text for p in terminated),
        "lsoa_990": str(len({p.lsoa for p in live if p.district.la is HOME and p.lsoa})),
        "person_postcodes_distinct": str(len({p.postcode.text for p in persons})),
    }


FIGURES_START, FIGURES_END = "<!-- figures:start -->", "<!-- figures:end -->"


def update_readme(template: str, figs: dict[str, str]) -> str:
    """The README with its generated figures block replaced (machine-readable: tests read it)."""
    block = "\n".join(["```text", *(f"{key}={value}" for key, value in figs.items()), "```"])
    head, rest = template.split(FIGURES_START, 1)
    _, tail = rest.split(FIGURES_END, 1)
    return f"{head}{FIGURES_START}\n{block}\n{FIGURES_END}{tail}"


def build(out_dir: Path = HERE) -> dict[str, str]:
    """Generate every file into `out_dir`; return the figures written into the README."""
    rng = random.Random(SEED)
    live, terminated = build_postcodes(rng)
    establishments = build_establishments(rng, live)
    cal = calibrate()
    homes = [p for p in live if p.district.la is HOME and p.pqi != 90]
    placer = Placer(rng, establishments)
    active = build_active(rng, cal, homes, placer)
    rolls = {e.urn: (e.roll, e.rp_roll, e.unit_roll) for e in establishments}
    ceased = build_ceased(rng, homes, placer, cal)
    attend_closed_infant(rng, ceased, establishments)
    for est in establishments:  # ceased plans do not occupy census places
        est.roll, est.rp_roll, est.unit_roll = rolls[est.urn]
    persons = [*active, *ceased]
    number_persons(rng, persons)
    persons.sort(key=lambda p: p.number)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_gias(rng, establishments, out_dir / "gias_extract.csv")
    write_codepoint(live, out_dir / "codepoint_open.zip")
    write_nspl(rng, [*live, *terminated], out_dir / "nspl_extract.csv")
    write_csv(out_dir / "persons.csv", PERSON_COLUMNS, (person_row(p) for p in persons))
    write_csv(out_dir / "persons_bad_examples.csv", PERSON_COLUMNS,
              bad_examples(rng, active, terminated, establishments, live))
    write_csv(out_dir / "localities.csv", ("locality_id", "name", "area_codes"), locality_rows(live))
    figs = {**setting_figures(establishments, active), **person_figures(active, ceased, establishments),
            **postcode_figures(live, terminated, persons)}
    readme = update_readme((HERE / "README.md").read_text(encoding="utf-8"), figs)
    (out_dir / "README.md").write_text(readme, encoding="utf-8")
    return figs


if __name__ == "__main__":
    for key, value in build().items():
        print(f"{key}={value}")
