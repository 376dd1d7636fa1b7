"""The commissioner's question, answered on the Sufficiency page's default view and checked against the workbook:
"where and when do ASD places run short, counting out-of-area placements?"

Through the UI only: sign in as a commissioner, run sufficiency with the page's button (every forecast year), read
the default view (ASD, specialist places: short of places, out of reach and out of area by year; the heatmap's
table by locality), download the workbook with the page's button and compare with its "Cells" sheet.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.web.conftest import LiveServer, Visit, screenshot, sign_in  # shared helpers (importlib mode)

pytestmark = pytest.mark.slow
PARTS = ("short_of_capacity", "out_of_reach", "placed_out_of_area")


def whole(text: str) -> int:
    digits = re.sub(r"[^\d]", "", text)
    assert digits, f"no figure in {text!r}"
    return int(digits)


def page_by_year(page: Any) -> dict[str, dict[str, int]]:
    """The default view's year-by-year table: {"2027/28": {"short": .., "reach": .., "ooa": .., "not_met": ..}}."""
    out = {}
    for row in page.locator("#year-detail-table tbody tr").all():
        year = row.locator("th").inner_text().strip()
        cells = [c.strip() for c in row.locator("td").all_inner_texts()]
        # Columns: demand, placed in area, short, out of reach, out of area, not met in area, cost.
        out[year] = {"short": whole(cells[2]), "reach": whole(cells[3]), "ooa": whole(cells[4]),
                     "not_met": whole(cells[5])}
    return out


def workbook_cells(content: bytes) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True)["Cells"]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_where_and_when_asd_places_run_short(live_server: LiveServer, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, live_server, "commissioner")
    page.get_by_role("link", name="Sufficiency", exact=True).click()
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("button", name="Run sufficiency").click()
    page.wait_for_selector("#suff-progress[data-status=succeeded]", timeout=180_000)
    page.wait_for_selector("#year-detail-table")
    # The default view: ASD, specialist places, the not-met measure on the heatmap.
    assert page.locator("#suff-need").input_value() == "ASD"
    assert page.locator("#suff-pool").input_value() == "specialist"
    assert page.locator("#suff-measure").input_value() == "not_met"
    assert page.locator("#cell-need").input_value() == "ASD"  # the drill-down starts at the need asked about
    by_year = page_by_year(page)
    assert len(by_year) == 10, "every forecast year is on the page"
    answer = page.inner_text("#notmet-answer")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download workbook (XLSX)").click()
    cells = [c for c in workbook_cells(download.value.path().read_bytes())
             if c["need"] == "ASD" and c["pool"] == "specialist"]
    expected: dict[int, dict[str, int]] = defaultdict(lambda: {"short": 0, "reach": 0, "ooa": 0})
    for c in cells:
        e = expected[int(c["academic_year"])]
        e["short"] += int(c["short_of_capacity"])
        e["reach"] += int(c["out_of_reach"])
        e["ooa"] += int(c["placed_out_of_area"])
    # When: each year's figures on the page are the workbook's, and "not met" counts the out-of-area placements.
    for year, e in expected.items():
        shown = by_year[f"{year}/{(year + 1) % 100:02d}"]
        assert (shown["short"], shown["reach"], shown["ooa"]) == (e["short"], e["reach"], e["ooa"]), year
        assert shown["not_met"] == e["short"] + e["reach"] + e["ooa"]
    assert any(e["ooa"] > 0 for e in expected.values()), "the demo places ASD learners out of area"
    worst = max(expected, key=lambda y: sum(expected[y].values()))
    assert f"Most in {worst}/{(worst + 1) % 100:02d}: {sum(expected[worst].values())}" in answer
    # Where: the heatmap's table (first year, ASD row) by locality is the workbook's, out of area included.
    first = min(expected)
    url = f"/api/v1/instances/{live_server.instance_id}/localities?limit=500"
    localities = page.evaluate(f"""async () => (await (await fetch('{url}',
        {{headers: {{Authorization: 'Bearer ' + sessionStorage.getItem('placeplan.key')}}}})).json()).items""")
    names = {loc["id"]: loc["name"] for loc in localities}
    by_locality: dict[str, int] = defaultdict(int)
    for c in cells:
        if int(c["academic_year"]) == first:
            by_locality[names[c["locality_id"]]] += sum(int(c[k]) for k in PARTS)
    page.locator("#heatmap-data summary").click()
    heads = [h.strip() for h in page.locator("#heatmap-data thead th").all_inner_texts()][1:]
    asd = page.locator("#heatmap-data tbody tr", has_text="ASD").first
    shown_by_locality = dict(zip(heads, (whole(t) for t in asd.locator("td").all_inner_texts()), strict=True))
    assert {k: v for k, v in shown_by_locality.items() if v} == {k: v for k, v in by_locality.items() if v}
    # The three parts are drawn in their own Okabe-Ito colours.
    colours = page.evaluate("() => document.getElementById('notmet-chart').data.map(t => t.marker.color)")
    assert colours == ["#D55E00", "#E69F00", "#0072B2"]
    screenshot(visit, "02b-sufficiency-asd-answer")
