"""Charts are produced and non-trivial; the workbook and SCAP export have the views and horizons promised."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib import image as mpimg
from openpyxl import load_workbook

from planner.domain.models import Instance
from planner.forecast.simulation import ForecastResult, forecast
from planner.io.charts import forecast_fan_chart, sufficiency_heatmap
from planner.io.sufficiency_export import scap_rows, sufficiency_workbook
from planner.sufficiency import SufficiencyResult, assess_sufficiency


@pytest.fixture(scope="module")
def results(history_instance: Instance) -> tuple[Instance, ForecastResult, SufficiencyResult]:
    projection = forecast(history_instance, {"horizon_years": 7, "runs": 100, "seed": 2})
    return history_instance, projection, assess_sufficiency(history_instance, projection)


def _check_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000
    pixels = mpimg.imread(io.BytesIO(data), format="png")
    height, width = pixels.shape[:2]
    assert width >= 800 and height >= 300
    assert float(np.std(pixels[..., :3])) > 0.05  # not a blank canvas
    assert len(np.unique(pixels[..., :3].reshape(-1, 3), axis=0)) > 50  # colours, text, lines


def test_heatmap_png_and_svg(results: tuple[Instance, ForecastResult, SufficiencyResult]) -> None:
    instance, _, sufficiency = results
    names = {loc.id: loc.name for loc in instance.localities}
    _check_png(sufficiency_heatmap(sufficiency, names, "png"))
    svg = sufficiency_heatmap(sufficiency, names, "svg").decode()
    assert "<svg" in svg and "Locality" in svg and "Learners not placed in area" in svg


def test_fan_chart_png_and_svg(results: tuple[Instance, ForecastResult, SufficiencyResult]) -> None:
    _, projection, _ = results
    _check_png(forecast_fan_chart(projection, "all_plans", "png"))
    svg = forecast_fan_chart(projection, "specialist", "svg").decode()
    assert "<svg" in svg and "p10-p90" in svg and "Learners" in svg
    with pytest.raises(ValueError, match="image format"):
        forecast_fan_chart(projection, "all_plans", "gif")


def test_workbook_views_and_scap_horizons(results: tuple[Instance, ForecastResult, SufficiencyResult]) -> None:
    instance, projection, sufficiency = results
    book = load_workbook(io.BytesIO(sufficiency_workbook(instance, projection, sufficiency)))
    assert book.sheetnames == ["Totals", "By need", "By locality", "By phase", "Cells", "Spare places", "Forecast",
                               "SCAP", "Assumptions"]
    totals = list(book["Totals"].iter_rows(values_only=True))
    assert totals[0][:2] == ("academic_year", "demand") and len(totals) == 1 + 7
    rows = scap_rows(instance, projection)
    assert sum(r["phase"] == "primary" for r in rows) == 5
    assert sum(r["phase"] == "secondary" for r in rows) == 7
    # SCAP capacity counts special schools, SEN units and resourced provision only (not AP, not independent).
    assert {r["specialist_places"] for r in rows} != {0}
