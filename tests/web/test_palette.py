"""The dashboard's palettes stay apart under simulated colour vision deficiency, and its labels cover every code.

Simulation: Machado, Oliveira and Fernandes (2009), "A physiologically-based model for simulation of color vision
deficiency", IEEE TVCG 15(6), the severity-1.0 matrices for protanopia, deuteranopia and tritanopia, applied to
linear sRGB; distances are CIE76 delta E in CIELAB (D65). A delta E of about 2.3 is just noticeable; categorical
colours for lines and bars should be far apart (the test asks 15), and a sequential scale must get lighter
monotonically for every kind of vision (so it reads as "more" without hue).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from api.web.labels import NOT_MET_COLOURS, OKABE_ITO, VIRIDIS_STOPS, page_data
from planner.domain.codes import Need, Phase, SettingKind

MACHADO = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
MIN_DELTA_E = 15.0
# Plotly's default colourway (its first five) and the map's former green-yellow-red fill: the check must fail them.
PLOTLY_DEFAULT = ("#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A")
GREEN_YELLOW_RED = ("#1a9850", "#fee08b", "#d73027")


def linear(hex_colour: str) -> np.ndarray:
    srgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def lab(rgb_linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb_linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(hex_colour: str, vision: str) -> np.ndarray:
    return lab(np.clip(MACHADO[vision] @ linear(hex_colour), 0, 1))


def closest_pair(colours: tuple[str, ...] | list[str], vision: str) -> float:
    points = [seen(c, vision) for c in colours]
    return float(min(np.linalg.norm(a - b) for a, b in itertools.combinations(points, 2)))


def lightens(colours: tuple[str, ...], vision: str) -> bool:
    lightness = [seen(c, vision)[0] for c in colours]
    return all(b > a for a, b in itertools.pairwise(lightness))


@pytest.mark.parametrize("vision", list(MACHADO))
def test_categorical_colours_stay_apart(vision: str) -> None:
    assert closest_pair(OKABE_ITO, vision) >= MIN_DELTA_E
    assert closest_pair(list(NOT_MET_COLOURS.values()), vision) >= MIN_DELTA_E


def test_the_check_fails_plotly_default_colours_under_protanopia() -> None:
    # Blue #636efa and purple #ab63fa become nearly one colour for a protanope (delta E about 1.6).
    assert closest_pair(PLOTLY_DEFAULT, "protanopia") < 3


@pytest.mark.parametrize("vision", list(MACHADO))
def test_sequential_scale_gets_lighter_for_every_vision(vision: str) -> None:
    assert lightens(VIRIDIS_STOPS, vision)
    assert not lightens(GREEN_YELLOW_RED, vision)  # yellow in the middle is the lightest: not a sequence


def test_every_code_has_words_and_phases_are_in_school_order() -> None:
    data = page_data()
    assert set(data["labels"]["need"]) == {n.value for n in Need}
    assert set(data["labels"]["kind"]) == {k.value for k in SettingKind}
    assert data["labels"]["kind"]["resourced_provision"] == "Resourced provision"
    assert data["labels"]["status"]["OPTIMAL"] == "Optimal"
    assert data["order"]["phase"] == ["early_years", "primary", "secondary", "post16", "post19"]
    assert [data["labels"]["phase"][p.value] for p in Phase] == ["Early years", "Primary", "Secondary", "Post-16",
                                                                  "Post-19"]
    assert data["palette"]["categorical"] == list(OKABE_ITO)
