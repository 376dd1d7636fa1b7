"""Postcodes to grid references at import time: the interface every importer uses, whatever holds the lookup.

Councils hold postcodes, not grid references. An importer that finds a `Postcode` column collects the file's
postcodes, asks a `PostcodeLookup` for all of them at once, and keeps only what planning needs: the point rounded
to 100 m and, where the lookup has it, the LSOA. The postcode itself is never stored, logged or shown in a report
(a row problem names the row and column, never the value). The lookup is filled from the open products councils
already download (OS Code-Point Open, the ONS Postcode Directory / NSPL) by `placeplan import postcodes`; the CLI
passes a lookup backed by the database table `postcodes`, tests pass a dict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from planner.domain.models import Point

# A UK postcode: outward code (area letters, district digit(s) and optional letter) and inward code (digit and two
# letters), as in the ONS Postcode Directory user guide; compared without spaces and in upper case.
POSTCODE_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
ROUNDING_METRES = 100  # homes are kept to the nearest 100 m: enough for journey times, less identifying


@dataclass(frozen=True)
class PostcodeFix:
    """What a lookup knows of one postcode (grid metres; codes where the product has them)."""

    easting: float
    northing: float
    lsoa: str | None = None
    ward: str | None = None
    district: str | None = None
    terminated: bool = False


# Given normalised postcodes, the fixes it knows (keys normalised; unknown postcodes are simply absent).
PostcodeLookup = Callable[[Collection[str]], Mapping[str, PostcodeFix]]


def normalise_postcode(text: str) -> str | None:
    """'sw1a 1aa' -> 'SW1A1AA'; None when the text is not shaped like a UK postcode."""
    cleaned = re.sub(r"\s+", "", text or "").upper()
    return cleaned if POSTCODE_SHAPE.match(cleaned) else None


def postcode_district(normalised: str) -> str:
    """The outward code (postcode district) of a normalised postcode: 'SW1A1AA' -> 'SW1A'."""
    return normalised[:-3]


def rounded_point(fix: PostcodeFix, metres: int = ROUNDING_METRES) -> Point:
    """The fix's point rounded to the nearest `metres` (what is stored for a home)."""
    return Point(easting=round(fix.easting / metres) * metres, northing=round(fix.northing / metres) * metres)


def lookup_from_mapping(fixes: Mapping[str, PostcodeFix]) -> PostcodeLookup:
    """A lookup over an in-memory mapping (keys normalised or not): for tests and small files."""
    table = {normalise_postcode(key) or key: fix for key, fix in fixes.items()}

    def lookup(postcodes: Collection[str]) -> Mapping[str, PostcodeFix]:
        return {code: table[code] for code in postcodes if code in table}

    return lookup


def postcode_problem(fix: PostcodeFix | None, shaped: bool) -> str | None:
    """Why a postcode cannot place a home (None when it can): for a row problem's 'expected' text."""
    if not shaped:
        return "a UK postcode (e.g. 'AB1 2CD')"
    if fix is None:
        return "a postcode in the loaded lookup (`placeplan import postcodes FILE` loads Code-Point Open or NSPL)"
    if fix.terminated:
        return "a postcode still in use (this one is terminated in the ONS lookup)"
    return None
