"""Names and codes of the SEN2 person-level return, each with the source it was taken from.

Sources (cited by tag next to each name below):

- [blade-csv]: MastodonC/witan.sen2, `src/witan/sen2/return/person_level/blade/csv.clj` -- the COLLECT "Blade
  export" CSV files (`Blade-Export_<DD-MM-YYYY>_<module>.csv`), their column names, the table-id keys linking the
  modules, and the Blade date format "2022-Sep-28 00:00:00".
- [dictionary]: MastodonC/witan.sen2, `src/witan/sen2/return/person_level/dictionary.clj` -- SENtype, SENsetting
  and CeaseReason codes with the item numbers of the DfE "Special educational needs person level survey 2025:
  guide" (v1.4).
- [plans-placements]: MastodonC/witan.sen2, `src/witan/sen2/return/person_level/blade/plans_placements.clj` --
  how plans and placements open on a census date are picked (start <= census date <= end, open ends allowed;
  rank 1 placement first; primary need = SENtypeRank 1) and its data checks.
- [xsd]: SocialFinanceDigitalLabs/liia-tools, `liiatools/spec/sen2/SEN2_schema_2024.xsd` (commit 81996262) -- an
  XML schema for the SEN2 XML return: `<Message>` > `<Header>` (`<CollectionDetails>`: Collection, Year,
  ReferenceDate; `<Source>`: SourceLevel, LEA, ...) and `<Persons>` > `<Person>` > `<Requests>` > `<Assessment>` >
  `<NamedPlan>` > `<PlanDetail>`; `<Requests>` > `<ActivePlans>` > `<PlacementDetail>`, `<SENneed>`; the element
  spellings (`PostCode`, `SENSetting`), URN `\\d{6}`, UKPRN `\\d{8}`, ranks 1/2, Sex M/F/U, yes/no as
  true/false/0/1. It is a third party's transcription of the DfE technical specification for 2024, not the DfE's
  own file (the DfE publishes the specification as a PDF, which could not be retrieved here).
- [d2i]: data-to-insight/patch, `apps/015_SEN2_app/send2_app.py` -- a reader of council SEN2 XML files that uses
  the same element names and nesting (Header/CollectionDetails/ReferenceDate, Persons/Person, PostCode,
  SENSetting, SENneed/SENtype/SENtypeRank).

Field names are compared in lower case, so `PostCode`, `Postcode` and `postcode` (and `SENSetting`/`SENsetting`)
are the same field: the CSV exports use lower case [blade-csv], the XML mixed case [xsd].
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from planner.domain.codes import Sex

# Modules, in return order, named as witan names them [blade-csv `modules`].
SEN2: Final = "sen2"
PERSON: Final = "person"
REQUESTS: Final = "requests"
ASSESSMENT: Final = "assessment"
NAMED_PLAN: Final = "named-plan"
PLAN_DETAIL: Final = "plan-detail"
ACTIVE_PLANS: Final = "active-plans"
PLACEMENT_DETAIL: Final = "placement-detail"
SEN_NEED: Final = "sen-need"
MODULES: Final = (SEN2, PERSON, REQUESTS, ASSESSMENT, NAMED_PLAN, PLAN_DETAIL, ACTIVE_PLANS, PLACEMENT_DETAIL,
                  SEN_NEED)
# Plan detail (the placement named in the plan, module 4b) is not needed to build learners: not required.
REQUIRED_MODULES: Final = tuple(m for m in MODULES if m != PLAN_DETAIL)

# The module part of a Blade export file name [blade-csv `make-file-names`]; plain names are the same token
# ("person.csv", "namedplan.csv"; "named-plan.csv" and "Named_Plan.csv" are read as "namedplan").
FILE_TOKEN: Final = MappingProxyType({
    SEN2: "sen2", PERSON: "person", REQUESTS: "requests", ASSESSMENT: "assessment", NAMED_PLAN: "namedplan",
    PLAN_DETAIL: "plandetail", ACTIVE_PLANS: "activeplans", PLACEMENT_DETAIL: "placementdetail", SEN_NEED: "senneed",
})

# Record elements of the XML return [xsd], [d2i]; the header record is module sen2.
XML_ELEMENT: Final = MappingProxyType({
    SEN2: "Header", PERSON: "Person", REQUESTS: "Requests", ASSESSMENT: "Assessment", NAMED_PLAN: "NamedPlan",
    PLAN_DETAIL: "PlanDetail", ACTIVE_PLANS: "ActivePlans", PLACEMENT_DETAIL: "PlacementDetail",
    SEN_NEED: "SENneed",
})
XML_ROOT: Final = "Message"  # [xsd] MessageType: Header, Persons
XML_PERSONS: Final = "Persons"  # [xsd] PersonsType: Person+
XML_COLLECTION_DETAILS: Final = "CollectionDetails"  # [xsd] HeaderType
XML_SOURCE: Final = "Source"  # [xsd] HeaderType

# Each module's own key and the key of its parent [blade-csv `*-src-col-name->col-name`, `module-key->ancestors`].
TABLE_ID: Final = MappingProxyType({
    SEN2: "sen2tableid", PERSON: "persontableid", REQUESTS: "requeststableid", ASSESSMENT: "assessmenttableid",
    NAMED_PLAN: "namedplantableid", PLAN_DETAIL: "plandetailtableid", ACTIVE_PLANS: "activeplanstableid",
    PLACEMENT_DETAIL: "placementdetailtableid", SEN_NEED: "senneedtableid",
})
PARENT: Final = MappingProxyType({
    PERSON: SEN2, REQUESTS: PERSON, ASSESSMENT: REQUESTS, NAMED_PLAN: ASSESSMENT, PLAN_DETAIL: NAMED_PLAN,
    ACTIVE_PLANS: REQUESTS, PLACEMENT_DETAIL: ACTIVE_PLANS, SEN_NEED: ACTIVE_PLANS,
})

# Fields (lower case). CSV names from [blade-csv]; XML spellings from [xsd] (XML_NAME below).
REFERENCE_DATE: Final = "referencedate"  # module 0; XML Header/CollectionDetails/ReferenceDate
LEA: Final = "lea"  # module 0; XML Header/Source/LEA (3-digit LA number)
COLLECTION: Final = "collection"  # module 0; XML Header/CollectionDetails/Collection ("SEN2")
YEAR: Final = "year"  # module 0; XML Header/CollectionDetails/Year
SURNAME: Final = "surname"  # module 1
FORENAME: Final = "forename"  # module 1
BIRTH_DATE: Final = "personbirthdate"  # module 1
SEX: Final = "sex"  # module 1, return v1.2 on (earlier returns had GenderCurrent) [blade-csv]
POSTCODE: Final = "postcode"  # module 1; XML PostCode
UPN: Final = "upn"  # module 1
ULN: Final = "uniquelearnernumber"  # module 1
UPN_UNKNOWN: Final = "upnunknown"  # module 1
RECEIVED_DATE: Final = "receiveddate"  # module 2
REQUEST_OUTCOME: Final = "requestoutcome"  # module 2
ASSESSMENT_OUTCOME: Final = "assessmentoutcome"  # module 3
START_DATE: Final = "startdate"  # module 4a: EHC plan start date
CEASE_DATE: Final = "ceasedate"  # module 4a: date EHC plan ceased
CEASE_REASON: Final = "ceasereason"  # module 4a, item 4.6 [dictionary]
LAST_REVIEW: Final = "lastreview"  # module 5a: annual review decision date
URN: Final = "urn"  # modules 4b, 5b
UKPRN: Final = "ukprn"  # modules 4b, 5b
SEN_SETTING: Final = "sensetting"  # modules 4b, 5b, items 4.7c & 5.7c [dictionary]; XML SENSetting
PLACEMENT_RANK: Final = "placementrank"  # modules 4b, 5b
ENTRY_DATE: Final = "entrydate"  # module 5b: placement start date
LEAVING_DATE: Final = "leavingdate"  # module 5b: placement leaving date
SEN_UNIT: Final = "senunitindicator"  # modules 4b, 5b
RESOURCED_PROVISION: Final = "resourcedprovisionindicator"  # modules 4b, 5b
SEN_TYPE: Final = "sentype"  # module 5c, item 5.8a [dictionary]
SEN_TYPE_RANK: Final = "sentyperank"  # module 5c

XML_NAME: Final = MappingProxyType({
    REFERENCE_DATE: "ReferenceDate", LEA: "LEA", COLLECTION: "Collection", YEAR: "Year", SURNAME: "Surname",
    FORENAME: "Forename", BIRTH_DATE: "PersonBirthDate", SEX: "Sex", POSTCODE: "PostCode", UPN: "UPN",
    ULN: "UniqueLearnerNumber", UPN_UNKNOWN: "UPNunknown", RECEIVED_DATE: "ReceivedDate",
    REQUEST_OUTCOME: "RequestOutcome", ASSESSMENT_OUTCOME: "AssessmentOutcome", START_DATE: "StartDate",
    CEASE_DATE: "CeaseDate", CEASE_REASON: "CeaseReason", LAST_REVIEW: "LastReview", URN: "URN", UKPRN: "UKPRN",
    SEN_SETTING: "SENSetting", PLACEMENT_RANK: "PlacementRank", ENTRY_DATE: "EntryDate",
    LEAVING_DATE: "LeavingDate", SEN_UNIT: "SENunitIndicator", RESOURCED_PROVISION: "ResourcedProvisionIndicator",
    SEN_TYPE: "SENtype", SEN_TYPE_RANK: "SENtypeRank",
    # An XML return has no table ids: a record's link is its nesting, so a link is named by the parent element.
    **{TABLE_ID[module]: XML_ELEMENT[module] for module in MODULES},
})

# Columns a CSV module must have for learners to be built (the keys, and the items read) [blade-csv].
REQUIRED_FIELDS: Final = MappingProxyType({
    SEN2: (),
    PERSON: (TABLE_ID[PERSON], BIRTH_DATE, POSTCODE),
    REQUESTS: (TABLE_ID[REQUESTS], TABLE_ID[PERSON]),
    ASSESSMENT: (TABLE_ID[ASSESSMENT], TABLE_ID[REQUESTS]),
    NAMED_PLAN: (TABLE_ID[NAMED_PLAN], TABLE_ID[ASSESSMENT], START_DATE),
    PLAN_DETAIL: (TABLE_ID[NAMED_PLAN],),
    ACTIVE_PLANS: (TABLE_ID[ACTIVE_PLANS], TABLE_ID[REQUESTS]),
    PLACEMENT_DETAIL: (TABLE_ID[ACTIVE_PLANS], PLACEMENT_RANK),
    SEN_NEED: (TABLE_ID[ACTIVE_PLANS], SEN_TYPE, SEN_TYPE_RANK),
})

# Personal data: never stored, logged or shown in a report (a problem's value is withheld).
PERSONAL_FIELDS: Final = frozenset({SURNAME, FORENAME, BIRTH_DATE, POSTCODE, UPN, ULN})
WITHHELD: Final = "(withheld: personal data)"

# EHCP need <SENtype>, item 5.8a of the 2025 guide [dictionary `sen-type`]; DS (Down syndrome) is new in 2025
# (absent from the 2024 [xsd]). A blank need is read as Need.NSA (need not yet recorded), with a warning.
SEN_TYPES: Final = frozenset({"SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "DS",
                              "OTH"})
# SEN setting - establishment type <SENsetting>, items 4.7c & 5.7c of the 2025 guide [dictionary `sen-setting`],
# the same eight codes as [xsd] `sensettingtype`.
SEN_SETTINGS: Final = frozenset({"OLA", "OPA", "EHE", "EYP", "OTH", "NEET", "NIEC", "NIEO"})
# Ranks of SENtype and of PlacementRank [xsd `ranktype`]: 1 (primary need / main placement) or 2.
RANKS: Final = MappingProxyType({"1": 1, "2": 2})
# Sex [xsd `sextype`]: M male, F female, U unknown (read as None, as is a blank).
SEX_CODES: Final = MappingProxyType({"M": Sex.MALE, "F": Sex.FEMALE, "U": None})
# Yes/no items (SENunitIndicator, ResourcedProvisionIndicator): [xsd `yesnotype`] true/false/TRUE/FALSE/0/1; the
# pre-submission workbooks use 0/1 (witan `pre_submission.clj` parse-binary->boolean); Y/N as the DfE's other
# yes/no items and the planner's own CSVs write them. Compared in lower case; blank is "no" (witan
# `replace-missing-sen2-estab-indicators`).
YES_WORDS: Final = frozenset({"y", "yes", "1", "true"})
NO_WORDS: Final = frozenset({"n", "no", "0", "false", ""})
URN_DIGITS: Final = 6  # [xsd] PlacementDetailType/URN pattern \d{6}
UKPRN_DIGITS: Final = 8  # [xsd] PlacementDetailType/UKPRN pattern \d{8}
# EHC plans run from birth to age 25 (witan plans_placements.clj issue-not-send-age checks ages 0-24 at the start
# of the school year). The planner's own NCY range (N2..Y20) is checked by `Instance`, not here.
SEND_AGE_MIN: Final = 0
SEND_AGE_MAX: Final = 25
