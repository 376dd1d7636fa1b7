"""Code tables: primary need, phase, setting kind, setting status, and the maps from GIAS/SEN2 wording.

Values are the codes councils already use (SEN2 need codes, DfE phase names) so exports read naturally.
"""

from __future__ import annotations

from enum import StrEnum


class Need(StrEnum):
    """Primary (or secondary) type of need: the SEN2 2025 codes, including DS (new in 2025)."""

    SPLD = "SPLD"  # specific learning difficulty
    MLD = "MLD"  # moderate learning difficulty
    SLD = "SLD"  # severe learning difficulty
    PMLD = "PMLD"  # profound and multiple learning difficulty
    SEMH = "SEMH"  # social, emotional and mental health
    SLCN = "SLCN"  # speech, language and communication needs
    HI = "HI"  # hearing impairment
    VI = "VI"  # vision impairment
    MSI = "MSI"  # multi-sensory impairment
    PD = "PD"  # physical disability
    ASD = "ASD"  # autistic spectrum disorder
    DS = "DS"  # Down syndrome (SEN2 2025; GIAS has no designation for it)
    OTH = "OTH"  # other difficulty or disability
    # No specialist assessment of type of need: the plan's primary need is not (yet) recorded. The school census
    # SEN type code; SEN2 leaves the need blank, and the DfE tables count these as "need unknown"
    # (`number_need_unknown`, 0.8% of plans in January 2025). Only settings with no designations meet it.
    NSA = "NSA"

    @property
    def label(self) -> str:
        return NEED_LABELS[self]


NEED_LABELS: dict[Need, str] = {
    Need.SPLD: "Specific learning difficulty",
    Need.MLD: "Moderate learning difficulty",
    Need.SLD: "Severe learning difficulty",
    Need.PMLD: "Profound and multiple learning difficulty",
    Need.SEMH: "Social, emotional and mental health",
    Need.SLCN: "Speech, language and communication needs",
    Need.HI: "Hearing impairment",
    Need.VI: "Vision impairment",
    Need.MSI: "Multi-sensory impairment",
    Need.PD: "Physical disability",
    Need.ASD: "Autistic spectrum disorder",
    Need.DS: "Down syndrome",
    Need.OTH: "Other difficulty or disability",
    Need.NSA: "Need not yet recorded (no specialist assessment)",
}

# GIAS writes designations as "ASD - Autistic Spectrum Disorder"; SEN2 and case-management exports vary in case
# and spacing. Every spelling we have met maps here (keys are upper-case, prefix before " - ").
NEED_ALIASES: dict[str, Need] = {
    "SPLD": Need.SPLD,
    "SPECIFIC LEARNING DIFFICULTY": Need.SPLD,
    "MLD": Need.MLD,
    "MODERATE LEARNING DIFFICULTY": Need.MLD,
    "SLD": Need.SLD,
    "SEVERE LEARNING DIFFICULTY": Need.SLD,
    "PMLD": Need.PMLD,
    "PROFOUND AND MULTIPLE LEARNING DIFFICULTY": Need.PMLD,
    "SEMH": Need.SEMH,
    "BESD": Need.SEMH,  # behaviour, emotional and social difficulty: the pre-2014 name GIAS still carries
    "SOCIAL, EMOTIONAL AND MENTAL HEALTH": Need.SEMH,
    "SLCN": Need.SLCN,
    "SPEECH, LANGUAGE AND COMMUNICATION NEEDS": Need.SLCN,
    "HI": Need.HI,
    "HEARING IMPAIRMENT": Need.HI,
    "VI": Need.VI,
    "VISUAL IMPAIRMENT": Need.VI,
    "VISION IMPAIRMENT": Need.VI,
    "MSI": Need.MSI,
    "MULTI-SENSORY IMPAIRMENT": Need.MSI,
    "PD": Need.PD,
    "PHYSICAL DISABILITY": Need.PD,
    "ASD": Need.ASD,
    "AUTISM": Need.ASD,
    "AUTISTIC SPECTRUM DISORDER": Need.ASD,
    "DS": Need.DS,
    "DOWN SYNDROME": Need.DS,
    "OTH": Need.OTH,
    "OTHER": Need.OTH,
    "OTHER DIFFICULTY/DISABILITY": Need.OTH,
    "NSA": Need.NSA,
    "NO SPECIALIST ASSESSMENT": Need.NSA,
    "NOT RECORDED": Need.NSA,
    "UNKNOWN": Need.NSA,
}


def parse_need(text: str) -> Need:
    """Read a need code from SEN2 or GIAS wording ("ASD", "asd", "ASD - Autistic Spectrum Disorder").

    Raises ValueError naming the text and the accepted codes when it is not a known need.
    """
    cleaned = text.strip().upper()
    head = cleaned.split(" - ", 1)[0].strip()
    for candidate in (head, cleaned):
        if candidate in NEED_ALIASES:
            return NEED_ALIASES[candidate]
    raise ValueError(f"unknown need {text!r}: expected one of {', '.join(n.value for n in Need)}")


class Sex(StrEnum):
    """A learner's sex as SEN2 records it (item `Sex`, SEN2 guide v1.2 on; earlier returns `GenderCurrent`).

    Used only where the law makes it matter (single-sex schools, GIAS `Gender (name)`); unknown is None.
    """

    MALE = "M"
    FEMALE = "F"


class Arrangement(StrEnum):
    """Where a learner with a plan is educated when the plan names no school or college (no URN or UKPRN): the
    SEN2 `SENsetting` codes (DfE SEN2 2025 guide items 4.7c and 5.7c; listed in MastodonC witan.sen2
    `src/witan/sen2/return/person_level/dictionary.clj`)."""

    OLA = "OLA"  # other arrangements made by the LA (Children and Families Act 2014 s61, "EOTAS")
    OPA = "OPA"  # other arrangements made by parents or the young person (CFA 2014 s42(5)), not home education
    EHE = "EHE"  # elective home education (CFA 2014 s42(5))
    EYP = "EYP"  # an early years provider with no GIAS URN (private nursery, childminder)
    OTH = "OTH"  # a type of setting is specified in the plan but no setting is named
    NEET = "NEET"  # not in education, employment or training (aged 16-25)
    NIEC = "NIEC"  # not in education or training: notice to cease the plan issued
    NIEO = "NIEO"  # not in education or training, other (e.g. moved in with a plan, awaiting a placement)


# Arrangements outside schools that the family or the LA chose: a placement round leaves them alone (the LA's duty
# under s42 is met by the arrangement) unless an officer lists the learner.
ARRANGEMENTS_KEPT: frozenset[Arrangement] = frozenset({Arrangement.OLA, Arrangement.OPA, Arrangement.EHE})
# Learners with a plan and no place who are waiting for one: a round places them like a new plan.
ARRANGEMENTS_AWAITING_PLACE: frozenset[Arrangement] = frozenset({Arrangement.OTH, Arrangement.NEET,
                                                                  Arrangement.NIEO})


class Phase(StrEnum):
    """Phase of education, from the national curriculum year (NCY)."""

    EARLY_YEARS = "early_years"  # NCY below 0 (nursery N1 = -1, N2 = -2)
    PRIMARY = "primary"  # Reception (NCY 0) to Year 6
    SECONDARY = "secondary"  # Years 7 to 11
    POST16 = "post16"  # Years 12 to 14
    POST19 = "post19"  # Years 15 to 20 (ages 19 to 25)


PHASE_NCY_RANGES: dict[Phase, tuple[int, int]] = {
    Phase.EARLY_YEARS: (-2, -1),
    Phase.PRIMARY: (0, 6),
    Phase.SECONDARY: (7, 11),
    Phase.POST16: (12, 14),
    Phase.POST19: (15, 20),
}

NCY_MIN = -2
NCY_MAX = 20


def phase_of_ncy(ncy: int) -> Phase:
    """The phase a national curriculum year belongs to (Reception = 0, Year 12 = first year of post-16)."""
    if ncy < NCY_MIN or ncy > NCY_MAX:
        raise ValueError(f"NCY {ncy} is outside {NCY_MIN}..{NCY_MAX} (nursery to the year a young person turns 25)")
    for phase, (low, high) in PHASE_NCY_RANGES.items():
        if low <= ncy <= high:
            return phase
    raise AssertionError("phase ranges cover every NCY")  # pragma: no cover


def ncy_label(ncy: int) -> str:
    """Human label for an NCY: N2, N1, R, Y1..Y14, then Y15+ for post-19 years."""
    if ncy < 0:
        return f"N{-ncy}"
    if ncy == 0:
        return "R"
    return f"Y{ncy}"


class SettingKind(StrEnum):
    """What kind of provision a setting is; drives eligibility, restrictiveness and cost defaults."""

    MAINSTREAM = "mainstream"
    RESOURCED_PROVISION = "resourced_provision"  # specialist base in a mainstream school, < 50% of time in it
    SEN_UNIT = "sen_unit"  # as resourced provision, but > 50% of time in the unit
    SPECIAL = "special"  # state special school (maintained, academy, free)
    SEMH_SPECIAL = "semh_special"  # special school designated SEMH
    PRU_AP = "pru_ap"  # pupil referral unit / alternative provision: short stay, reintegration is the aim
    INDEPENDENT_SPECIAL = "independent_special"  # independent or non-maintained special (INMSS)
    POST16_SPECIALIST = "post16_specialist"  # special post-16 institution (SPI)
    FE_COLLEGE = "fe_college"  # general FE / tertiary college

    @property
    def is_specialist(self) -> bool:
        """Counted as a specialist place (SCAP: special schools, SEN units and resourced provision)."""
        return self is not SettingKind.MAINSTREAM and self is not SettingKind.FE_COLLEGE


# Least restrictive first (Children and Families Act 2014 presumption of mainstream). Lower is less restrictive.
RESTRICTIVENESS: dict[SettingKind, int] = {
    SettingKind.MAINSTREAM: 0,
    SettingKind.FE_COLLEGE: 0,
    SettingKind.RESOURCED_PROVISION: 1,
    SettingKind.SEN_UNIT: 2,
    SettingKind.SPECIAL: 3,
    SettingKind.SEMH_SPECIAL: 3,
    SettingKind.POST16_SPECIALIST: 3,
    SettingKind.PRU_AP: 3,
    SettingKind.INDEPENDENT_SPECIAL: 4,
}

# Indicative annual cost per place in GBP (DOMAIN.md); a default for generated and imported data, never truth.
DEFAULT_COST_PER_PLACE: dict[SettingKind, int] = {
    SettingKind.MAINSTREAM: 7_000,
    SettingKind.FE_COLLEGE: 9_000,
    SettingKind.RESOURCED_PROVISION: 19_000,
    SettingKind.SEN_UNIT: 21_000,
    SettingKind.SPECIAL: 23_000,
    SettingKind.SEMH_SPECIAL: 30_000,
    SettingKind.POST16_SPECIALIST: 40_000,
    SettingKind.PRU_AP: 19_000,
    SettingKind.INDEPENDENT_SPECIAL: 60_000,
}


class ProvisionType(StrEnum):
    """The type of provision an EHC plan names (the plan's section I; SEN2 records the placement's establishment
    type with SEN unit and resourced provision indicators). Placement proposes only settings of the plan's type (or
    of a type the officer lists as acceptable): the presumption of mainstream (CFA 2014 s33) applies when the plan
    is written, not at placement."""

    MAINSTREAM = "mainstream"
    RESOURCED_PROVISION = "resourced_provision"  # mainstream with resourced provision
    SEN_UNIT = "sen_unit"
    SPECIAL = "special"  # maintained, academy or free special school (SEMH specials included)
    INDEPENDENT_SPECIAL = "independent_special"  # independent or non-maintained special school (CFA 2014 s41)
    AP_PRU = "ap_pru"  # alternative provision / pupil referral unit
    FE_COLLEGE = "fe_college"
    SPECIALIST_POST16 = "specialist_post16"  # special post-16 institution
    SUPPORTED_INTERNSHIP = "supported_internship"  # post-16/19 routes with no school or college place to allocate
    APPRENTICESHIP = "apprenticeship"
    OTHER_ROUTE = "other_route"


# The type of provision each kind of setting is.
PROVISION_OF_KIND: dict[SettingKind, ProvisionType] = {
    SettingKind.MAINSTREAM: ProvisionType.MAINSTREAM,
    SettingKind.RESOURCED_PROVISION: ProvisionType.RESOURCED_PROVISION,
    SettingKind.SEN_UNIT: ProvisionType.SEN_UNIT,
    SettingKind.SPECIAL: ProvisionType.SPECIAL,
    SettingKind.SEMH_SPECIAL: ProvisionType.SPECIAL,
    SettingKind.INDEPENDENT_SPECIAL: ProvisionType.INDEPENDENT_SPECIAL,
    SettingKind.PRU_AP: ProvisionType.AP_PRU,
    SettingKind.FE_COLLEGE: ProvisionType.FE_COLLEGE,
    SettingKind.POST16_SPECIALIST: ProvisionType.SPECIALIST_POST16,
}
# From Year 12 (post-16) the same type of provision is also offered by colleges: a mainstream plan by a school sixth
# form or an FE college, a special school plan by a special school sixth form or a special post-16 institution (CFA
# 2014 s41 lists special post-16 institutions with special schools). A plan's type covers its post-16 equivalent.
POST16_EQUIVALENTS: dict[ProvisionType, frozenset[ProvisionType]] = {
    ProvisionType.MAINSTREAM: frozenset({ProvisionType.FE_COLLEGE}),
    ProvisionType.RESOURCED_PROVISION: frozenset({ProvisionType.FE_COLLEGE}),
    ProvisionType.SEN_UNIT: frozenset({ProvisionType.FE_COLLEGE}),
    ProvisionType.SPECIAL: frozenset({ProvisionType.SPECIALIST_POST16}),
    ProvisionType.INDEPENDENT_SPECIAL: frozenset({ProvisionType.SPECIALIST_POST16}),
    ProvisionType.FE_COLLEGE: frozenset({ProvisionType.MAINSTREAM}),
    ProvisionType.SPECIALIST_POST16: frozenset({ProvisionType.SPECIAL}),
}
FIRST_POST16_NCY = 12

# Routes a plan may name that are not a place at a setting: a placement round does not place these learners.
ROUTES_WITHOUT_SETTING: frozenset[ProvisionType] = frozenset({
    ProvisionType.SUPPORTED_INTERNSHIP, ProvisionType.APPRENTICESHIP, ProvisionType.OTHER_ROUTE,
})


class SchoolGender(StrEnum):
    """Who a school admits (GIAS `Gender (name)`: Mixed, Boys, Girls)."""

    MIXED = "mixed"
    BOYS = "boys"
    GIRLS = "girls"


class SettingStatus(StrEnum):
    """Whether a setting's places exist now, are proposed (open later) or are closing."""

    OPEN = "open"
    PROPOSED = "proposed"
    CLOSING = "closing"


# GIAS "TypeOfEstablishment (name)" -> setting kind. Types not listed are mainstream schools (or out of scope).
GIAS_TYPE_TO_KIND: dict[str, SettingKind] = {
    "community special school": SettingKind.SPECIAL,
    "foundation special school": SettingKind.SPECIAL,
    "academy special converter": SettingKind.SPECIAL,
    "academy special sponsor led": SettingKind.SPECIAL,
    "free schools special": SettingKind.SPECIAL,
    "pupil referral unit": SettingKind.PRU_AP,
    "academy alternative provision converter": SettingKind.PRU_AP,
    "academy alternative provision sponsor led": SettingKind.PRU_AP,
    "free schools alternative provision": SettingKind.PRU_AP,
    "non-maintained special school": SettingKind.INDEPENDENT_SPECIAL,
    "other independent special school": SettingKind.INDEPENDENT_SPECIAL,
    "special post 16 institution": SettingKind.POST16_SPECIALIST,
    "further education": SettingKind.FE_COLLEGE,
    "sixth form centres": SettingKind.FE_COLLEGE,
}

# GIAS "EstablishmentTypeGroup (name)" used when the type itself is not in the table above.
GIAS_GROUP_TO_KIND: dict[str, SettingKind] = {
    "special schools": SettingKind.SPECIAL,
    "independent schools": SettingKind.MAINSTREAM,
    "colleges": SettingKind.FE_COLLEGE,
    "local authority maintained schools": SettingKind.MAINSTREAM,
    "academies": SettingKind.MAINSTREAM,
    "free schools": SettingKind.MAINSTREAM,
}
