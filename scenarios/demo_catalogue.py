"""The fictional council's geography and specialist provision: localities, presets and setting templates.

Everything here is invented (no real school, place or person). Numbers a council would recognise (how many
special schools, which designations, which areas are rural) are chosen to resemble a northern English county; the
caseload itself is calibrated separately on national statistics (scenarios.calibration).
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.domain.codes import Need, SettingKind


@dataclass(frozen=True)
class LocalitySpec:
    """One planning locality: where its centre is, how many of the council's learners live there, how rural."""

    id: str
    name: str
    easting_km: float
    northing_km: float
    weight: float  # share of the council's learners living here (relative)
    rural: bool
    spread_km: float  # standard deviation of homes and schools around the centre


@dataclass(frozen=True)
class SpecialistTemplate:
    """A specialist setting to create: kind, designations, NCY range, where (locality index) and how full.

    pressure: "tight" settings get fewer places than their current roll (over capacity, like ~60% of special
    schools nationally); "balanced" about their roll; "spare" have room.
    """

    kind: SettingKind
    stem: str
    designations: frozenset[Need]
    ncy_min: int
    ncy_max: int
    locality: int  # index into the preset's base locality list (demo numbering)
    pressure: str = "balanced"
    phase_of_host: str = "primary"  # resourced provision / units: host school phase


def _needs(*codes: str) -> frozenset[Need]:
    return frozenset(Need(code) for code in codes)


DEMO_LOCALITIES: tuple[LocalitySpec, ...] = (
    LocalitySpec("NV-TOWN", "Northvale Town", 430.0, 500.0, 0.22, False, 3.0),
    LocalitySpec("NV-EAST", "Eastmoor", 448.0, 504.0, 0.16, False, 3.2),
    LocalitySpec("NV-WREN", "Wrenholme", 418.0, 489.0, 0.14, False, 3.2),
    LocalitySpec("NV-BRAC", "Brackendale", 440.0, 487.0, 0.12, False, 3.5),
    LocalitySpec("NV-KELD", "Kelderby", 424.0, 510.0, 0.12, False, 3.5),
    LocalitySpec("NV-SALT", "Saltmarsh Quay", 455.0, 492.0, 0.10, False, 3.0),
    LocalitySpec("NV-HIGH", "Highfell", 408.0, 514.0, 0.07, True, 5.5),
    LocalitySpec("NV-GREY", "Greythwaite", 406.0, 484.0, 0.07, True, 5.5),
)

COUNTY_EXTRA_LOCALITIES: tuple[LocalitySpec, ...] = (
    LocalitySpec("NV-COLD", "Coldwater Edge", 468.0, 470.0, 0.13, False, 4.0),
    LocalitySpec("NV-SKEL", "Skelthorpe", 470.0, 518.0, 0.12, False, 4.0),
    LocalitySpec("NV-HARR", "Harrowby Moor", 390.0, 466.0, 0.06, True, 6.5),
    LocalitySpec("NV-ULLE", "Ullerdale", 392.0, 526.0, 0.06, True, 6.5),
)

COUNTY_LOCALITIES: tuple[LocalitySpec, ...] = DEMO_LOCALITIES + COUNTY_EXTRA_LOCALITIES

# Where each copy of the specialist catalogue goes in the county preset: demo locality index -> county locality
# index. Greythwaite (7) and Ullerdale (11) get no specialist provision: the rural gaps.
COUNTY_COPY_LOCALITIES: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7),
    (8, 9, 2, 3, 0, 1, 10, 11),
    (9, 8, 5, 4, 1, 0, 10, 7),
)

# State special schools (maintained, academy, free): age ranges as NCY (2-11 = -2..6, 11-19 = 7..14, 2-19 = -2..14).
SPECIAL_TEMPLATES: tuple[SpecialistTemplate, ...] = (
    SpecialistTemplate(SettingKind.SPECIAL, "Brook Lane", _needs("ASD", "SLCN"), 0, 6, 0, "tight"),
    SpecialistTemplate(SettingKind.SPECIAL, "Moorside", _needs("ASD"), 7, 14, 1, "tight"),
    SpecialistTemplate(SettingKind.SPECIAL, "Larkfield", _needs("ASD"), -2, 14, 2, "tight"),
    SpecialistTemplate(SettingKind.SPECIAL, "Hollins Park", _needs("SLD", "PMLD", "PD", "DS"), -2, 14, 0, "spare"),
    SpecialistTemplate(SettingKind.SPECIAL, "Fernbank", _needs("SLD", "PMLD", "MSI", "DS"), -2, 14, 3, "spare"),
    SpecialistTemplate(SettingKind.SPECIAL, "Oakridge Primary", _needs("MLD", "SPLD", "SLCN"), 0, 6, 4, "spare"),
    SpecialistTemplate(SettingKind.SPECIAL, "Oakridge", _needs("MLD", "SPLD", "SLCN", "DS"), 7, 14, 4, "spare"),
    SpecialistTemplate(SettingKind.SPECIAL, "Riverbank Sensory", _needs("HI", "VI", "MSI", "PD"), -2, 14, 0, "spare"),
    SpecialistTemplate(SettingKind.SPECIAL, "Copper Beech", _needs("ASD"), 7, 14, 5, "tight"),
    SpecialistTemplate(SettingKind.SPECIAL, "Hawthorn", _needs("MLD", "SLD", "OTH"), 0, 14, 6, "balanced"),
    SpecialistTemplate(SettingKind.SPECIAL, "Kestrel", _needs("PD", "OTH", "SLCN"), -2, 6, 2, "balanced"),
)

SEMH_TEMPLATES: tuple[SpecialistTemplate, ...] = (
    SpecialistTemplate(SettingKind.SEMH_SPECIAL, "Greenacre", _needs("SEMH"), 1, 6, 0, "tight"),
    SpecialistTemplate(SettingKind.SEMH_SPECIAL, "Millbeck", _needs("SEMH"), 7, 11, 1, "tight"),
    SpecialistTemplate(SettingKind.SEMH_SPECIAL, "Ridgeway", _needs("SEMH"), 5, 11, 3, "tight"),
)

PRU_TEMPLATES: tuple[SpecialistTemplate, ...] = (
    SpecialistTemplate(SettingKind.PRU_AP, "Primary Pupil Referral Unit", frozenset(), 0, 6, 0, "tight"),
    SpecialistTemplate(SettingKind.PRU_AP, "Secondary Pupil Referral Unit", frozenset(), 7, 11, 0, "tight"),
    SpecialistTemplate(SettingKind.PRU_AP, "Alternative Provision Academy", frozenset(), 7, 11, 1, "tight"),
)

# Resourced provisions (RP) and SEN units hosted by mainstream schools; locality and host phase pick the host.
BASE_TEMPLATES: tuple[SpecialistTemplate, ...] = (
    SpecialistTemplate(SettingKind.RESOURCED_PROVISION, "Autism", _needs("ASD"), 0, 6, 0, "tight", "primary"),
    SpecialistTemplate(SettingKind.RESOURCED_PROVISION, "Autism", _needs("ASD"), 7, 11, 0, "tight", "secondary"),
    SpecialistTemplate(SettingKind.SEN_UNIT, "Autism", _needs("ASD"), 0, 6, 1, "tight", "primary"),
    SpecialistTemplate(SettingKind.RESOURCED_PROVISION, "Autism", _needs("ASD"), 7, 11, 2, "tight", "secondary"),
    SpecialistTemplate(SettingKind.SEN_UNIT, "Autism", _needs("ASD"), 7, 11, 3, "tight", "secondary"),
    SpecialistTemplate(SettingKind.RESOURCED_PROVISION, "Speech and Language", _needs("SLCN"), 0, 6, 2, "balanced"),
    SpecialistTemplate(SettingKind.RESOURCED_PROVISION, "Speech and Language", _needs("SLCN"), 0, 6, 4, "balanced"),
    SpecialistTemplate(SettingKind.RESOURCED_PROVISION, "Hearing Impairment", _needs("HI"), 0, 6, 1, "spare"),
    SpecialistTemplate(SettingKind.RESOURCED_PROVISION, "Sensory", _needs("HI", "VI"), 7, 11, 0, "spare",
                       "secondary"),
    SpecialistTemplate(SettingKind.SEN_UNIT, "Learning Support", _needs("MLD", "SPLD"), 0, 6, 5, "balanced"),
    SpecialistTemplate(SettingKind.SEN_UNIT, "Learning Support", _needs("MLD", "SPLD"), 7, 11, 1, "balanced",
                       "secondary"),
    SpecialistTemplate(SettingKind.SEN_UNIT, "Nurture", _needs("SEMH"), 0, 6, 2, "tight"),
    SpecialistTemplate(SettingKind.RESOURCED_PROVISION, "Autism", _needs("ASD"), 0, 6, 6, "tight"),
)

# Post-16: one special post-16 institution (SPI) and general FE colleges (ages 16-25 = NCY 12..20).
SPI_TEMPLATES: tuple[SpecialistTemplate, ...] = (
    SpecialistTemplate(SettingKind.POST16_SPECIALIST, "Skills for Life College",
                       _needs("SLD", "PMLD", "ASD", "MLD", "DS"), 12, 20, 0, "balanced"),
)
FE_TEMPLATES: tuple[SpecialistTemplate, ...] = (
    SpecialistTemplate(SettingKind.FE_COLLEGE, "College", frozenset(), 12, 20, 0, "spare"),
    SpecialistTemplate(SettingKind.FE_COLLEGE, "College", frozenset(), 12, 20, 1, "spare"),
)

# Independent and non-maintained special schools out of area: far, dear, and always with a place (at a price).
INDEPENDENT_TEMPLATES: tuple[tuple[SpecialistTemplate, float, float], ...] = (
    (SpecialistTemplate(SettingKind.INDEPENDENT_SPECIAL, "Ashgrove Hall", _needs("ASD"), -2, 14, -1, "spare"),
     352.0, 470.0),
    (SpecialistTemplate(SettingKind.INDEPENDENT_SPECIAL, "Cragside House", _needs("ASD", "SEMH"), 7, 14, -1, "spare"),
     512.0, 545.0),
    (SpecialistTemplate(SettingKind.INDEPENDENT_SPECIAL, "Meadowbank Hall", _needs("SEMH"), 1, 11, -1, "spare"),
     385.0, 555.0),
    (SpecialistTemplate(SettingKind.INDEPENDENT_SPECIAL, "Birchwood Manor", _needs("SLD", "PMLD", "DS"), -2, 14, -1,
                        "spare"), 490.0, 440.0),
    (SpecialistTemplate(SettingKind.INDEPENDENT_SPECIAL, "Lindenfield School for the Deaf", _needs("HI", "VI", "MSI"),
                        -2, 14, -1, "spare"), 350.0, 520.0),
    (SpecialistTemplate(SettingKind.INDEPENDENT_SPECIAL, "Harbour View", _needs("ASD", "SLCN", "SEMH"), 7, 20, -1,
                        "spare"), 505.0, 462.0),
)

# Name parts for mainstream schools (compound names like "Brookside", "Fellgate"): invented, no people's names.
NAME_PREFIXES: tuple[str, ...] = (
    "Brook", "Hill", "Mill", "Ash", "Oak", "Fell", "Moor", "Beck", "Heather", "Thorn", "Holly", "Willow", "Rowan",
    "Elm", "Kirk", "Crag", "Stone", "Wood", "Green", "Meadow", "Lark", "Wren", "Fox", "Hare", "Birch", "Bracken",
    "Cloud", "Dale", "Gill", "Hazel",
)
NAME_SUFFIXES: tuple[str, ...] = (
    "side", "field", "bank", "lea", "croft", "gate", "dale", "view", "top", "end", "wood", "ford",
)
