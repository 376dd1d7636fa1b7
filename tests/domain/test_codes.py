"""Phases of education and need-code spellings."""

from __future__ import annotations

import pytest

from planner.domain.codes import RESTRICTIVENESS, Need, Phase, SettingKind, ncy_label, parse_need, phase_of_ncy


@pytest.mark.parametrize(
    ("ncy", "phase"),
    [
        (-2, Phase.EARLY_YEARS),
        (-1, Phase.EARLY_YEARS),
        (0, Phase.PRIMARY),
        (6, Phase.PRIMARY),
        (7, Phase.SECONDARY),
        (11, Phase.SECONDARY),
        (12, Phase.POST16),
        (14, Phase.POST16),
        (15, Phase.POST19),
        (20, Phase.POST19),
    ],
)
def test_phase_edges(ncy: int, phase: Phase) -> None:
    assert phase_of_ncy(ncy) is phase


@pytest.mark.parametrize("ncy", [-3, 21, 100])
def test_phase_outside_range_is_an_error(ncy: int) -> None:
    with pytest.raises(ValueError, match=f"NCY {ncy} is outside"):
        phase_of_ncy(ncy)


def test_ncy_labels() -> None:
    assert [ncy_label(n) for n in (-2, -1, 0, 1, 11, 15)] == ["N2", "N1", "R", "Y1", "Y11", "Y15"]


@pytest.mark.parametrize(
    ("text", "need"),
    [
        ("ASD", Need.ASD),
        ("asd", Need.ASD),
        ("  ASD - Autistic Spectrum Disorder ", Need.ASD),
        ("Autism", Need.ASD),
        ("SpLD - Specific Learning Difficulty", Need.SPLD),
        ("SEMH - Social, Emotional and Mental Health", Need.SEMH),
        ("BESD - Behaviour, Emotional and Social Difficulties", Need.SEMH),
        ("Social, emotional and mental health", Need.SEMH),
        ("SLCN - Speech, language and Communication", Need.SLCN),
        ("VI - Visual Impairment", Need.VI),
        ("Vision impairment", Need.VI),
        ("MSI - Multi-Sensory Impairment", Need.MSI),
        ("PMLD - Profound and Multiple Learning Difficulty", Need.PMLD),
        ("OTH - Other Difficulty/Disability", Need.OTH),
        ("Down syndrome", Need.DS),
        ("ds", Need.DS),
    ],
)
def test_parse_need_spellings(text: str, need: Need) -> None:
    assert parse_need(text) is need


@pytest.mark.parametrize("text", ["XYZ", "", "   ", "Autistic", "ASD-"])
def test_parse_need_rejects_unknown(text: str) -> None:
    with pytest.raises(ValueError, match="unknown need") as info:
        parse_need(text)
    assert "ASD" in str(info.value) and "DS" in str(info.value)


def test_every_need_has_a_label_and_every_kind_a_restrictiveness() -> None:
    assert all(need.label for need in Need)
    assert set(RESTRICTIVENESS) == set(SettingKind)
    assert RESTRICTIVENESS[SettingKind.MAINSTREAM] < RESTRICTIVENESS[SettingKind.SPECIAL] \
        < RESTRICTIVENESS[SettingKind.INDEPENDENT_SPECIAL]


def test_specialist_kinds() -> None:
    assert not SettingKind.MAINSTREAM.is_specialist and not SettingKind.FE_COLLEGE.is_specialist
    assert SettingKind.RESOURCED_PROVISION.is_specialist and SettingKind.SEN_UNIT.is_specialist
