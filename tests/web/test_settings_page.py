"""The Settings page in headless Chromium: an admin corrects places and designations through the API, a planner
sees the same table read-only, a bad value shows the API's problem and stores nothing, and paging counts are right.

The live server is shared with the other browser tests: every change made here is put back at the end.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
from playwright.sync_api import expect

from planner.domain.codes import Need
from tests.web.conftest import LiveServer, Visit, screenshot, sign_in  # shared helpers (importlib mode)

pytestmark = pytest.mark.slow
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SPECIALIST = {"resourced_provision", "sen_unit", "special", "semh_special", "independent_special",
              "post16_specialist", "pru_ap"}


def call(server: LiveServer, method: str, path: str, body: dict[str, Any] | None = None,
         role: str = "admin") -> tuple[int, Any]:
    """Call the live API as `role` (outside the browser): status and JSON body."""
    request = urllib.request.Request(
        f"{server.base_url}/api/v1/{path}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {server.keys[role]}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def setting(server: LiveServer, setting_id: str) -> dict[str, Any]:
    code, body = call(server, "GET", f"instances/{server.instance_id}/settings/{setting_id}")
    assert code == 200, body
    result: dict[str, Any] = body
    return result


def total(server: LiveServer, **filters: Any) -> int:
    query = urlencode({"limit": 1, **filters})
    code, body = call(server, "GET", f"instances/{server.instance_id}/settings?{query}", role="planner")
    assert code == 200, body
    return int(body["total"])


@pytest.fixture
def remember(live_server: LiveServer) -> Iterator[Callable[[str], dict[str, Any]]]:
    """`remember(id)` returns a setting as stored; its places and designations are put back after the test."""
    originals: dict[str, dict[str, Any]] = {}

    def keep(setting_id: str) -> dict[str, Any]:
        return originals.setdefault(setting_id, setting(live_server, setting_id))

    yield keep
    for setting_id, original in originals.items():
        code, body = call(live_server, "PATCH", f"instances/{live_server.instance_id}/settings/{setting_id}",
                          {k: original[k] for k in ("capacity", "designations", "capacity_by_phase")})
        assert code == 200, body


def assert_only_local(visit: Visit) -> None:
    foreign = [url for url in visit.requests
               if not url.startswith(("data:", "blob:")) and urlparse(url).hostname not in LOCAL_HOSTS]
    assert foreign == [], f"requests left localhost: {foreign}"
    assert visit.errors == [], f"JavaScript errors: {visit.errors}"


def open_settings(visit: Visit, server: LiveServer, role: str) -> Any:
    page = visit.page
    sign_in(visit, server, role)
    page.get_by_role("link", name="Settings", exact=True).click()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#settings-grid tbody tr")
    return page


def find(page: Any, text: str) -> None:
    page.get_by_label("Find by id or name").fill(text)
    expect(page.locator("#page-info")).to_have_text("Rows 1-1 of 1")


def focused_id(page: Any) -> str:
    result: str = page.evaluate("document.activeElement && document.activeElement.id")
    return result


def test_admin_corrects_places_and_designations(live_server: LiveServer, visit: Visit,
                                                remember: Callable[[str], dict[str, Any]]) -> None:
    # A pupil referral unit of the demo council with no designations: a warning until it is designated.
    original = remember("940001")
    assert original["kind"] == "pru_ap" and original["designations"] == []
    page = open_settings(visit, live_server, "admin")
    assert "specialist settings have no designations" in page.inner_text("#warning-summary")
    find(page, "940001")
    row = page.locator("#settings-grid tbody tr[data-id='940001']")
    assert "none (takes every need)" in row.inner_text()
    assert "row-warn" in (row.get_attribute("class") or "")
    assert page.get_by_label("Places (capacity)").is_disabled()  # nothing chosen yet

    page.get_by_role("button", name=re.compile(r"^Edit 940001 ")).click()
    assert focused_id(page) == "edit-capacity"
    assert page.get_by_label("Places (capacity)").is_enabled()
    assert page.get_by_label("Places (capacity)").input_value() == str(original["capacity"])
    # One box per designatable need code, each labelled.
    codes = page.locator("#edit-designations input[type=checkbox]").evaluate_all("boxes => boxes.map(b => b.value)")
    assert sorted(codes) == sorted(n.value for n in Need if n is not Need.NSA)
    new_capacity = original["capacity"] + 7
    page.get_by_label("Places (capacity)").fill(str(new_capacity))
    page.get_by_label(re.compile(r"^SEMH ")).check()
    page.get_by_label(re.compile(r"^ASD ")).check()
    screenshot(visit, "20-settings-admin-edit")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_selector("#edit-result.ok")
    message = page.inner_text("#edit-result")
    assert "Saved" in message and f"{new_capacity} places" in message and "ASD, SEMH" in message
    assert focused_id(page) == "edit-result"

    stored = setting(live_server, "940001")
    assert stored["capacity"] == new_capacity
    assert stored["designations"] == ["ASD", "SEMH"]
    # The table shows the stored values and the warning is gone.
    assert "ASD, SEMH" in row.inner_text() and "row-warn" not in (row.get_attribute("class") or "")
    assert str(new_capacity) in row.locator("td.num").inner_text()
    screenshot(visit, "21-settings-admin-saved")
    assert_only_local(visit)


def test_planner_sees_the_table_read_only(live_server: LiveServer, visit: Visit) -> None:
    page = open_settings(visit, live_server, "planner")
    assert page.locator("#settings-grid tbody tr").count() == min(50, total(live_server))
    assert "only an administrator" in page.inner_text("#edit-note").lower()
    find(page, "930001")
    page.get_by_role("button", name=re.compile(r"^Show 930001 ")).click()
    assert focused_id(page) == "edit-target"
    assert "930001" in page.inner_text("#edit-target")
    assert page.locator("#edit-fields").get_attribute("disabled") is not None
    assert page.get_by_label("Places (capacity)").is_disabled()
    assert page.get_by_role("button", name="Save changes").is_disabled()
    assert page.locator("#edit-designations input:enabled").count() == 0
    # The form shows the stored values, read only.
    stored = setting(live_server, "930001")
    assert page.get_by_label("Places (capacity)").input_value() == str(stored["capacity"])
    ticked = page.locator("#edit-designations input:checked").evaluate_all("boxes => boxes.map(b => b.value)")
    assert sorted(ticked) == stored["designations"]
    screenshot(visit, "22-settings-planner")
    assert_only_local(visit)


def test_officer_has_no_settings_page(live_server: LiveServer, visit: Visit) -> None:
    page = visit.page
    sign_in(visit, live_server, "officer")
    assert page.locator("#main-nav li:not([hidden]) a", has_text="Settings").count() == 0
    page.goto(f"{live_server.base_url}/settings")
    page.wait_for_selector("#role-denied:not([hidden])")
    assert page.locator("#page-body").is_hidden()


def test_a_bad_value_shows_the_api_problem_and_stores_nothing(live_server: LiveServer, visit: Visit,
                                                              remember: Callable[[str], dict[str, Any]]) -> None:
    original = remember("930001")
    page = open_settings(visit, live_server, "admin")
    find(page, "930001")
    page.get_by_role("button", name=re.compile(r"^Edit 930001 ")).click()
    page.get_by_label("Places (capacity)").fill("-5")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_selector("#edit-result.error")
    message = page.inner_text("#edit-result")
    assert "Not saved" in message and "Nothing was changed" in message
    assert "capacity: Input should be greater than or equal to 0" in message  # the API's field and reason
    assert focused_id(page) == "edit-result"
    assert page.get_by_label("Places (capacity)").get_attribute("aria-invalid") == "true"
    assert setting(live_server, "930001") == original
    screenshot(visit, "23-settings-bad-value")

    # A phase cap above the total is refused by the whole-council check: the API names the field.
    page.get_by_label("Places (capacity)").fill("10")
    page.get_by_label(re.compile(r"^Primary ")).fill("20")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_selector("#edit-result.error >> text=capacity_by_phase[primary]")
    assert "20 exceeds capacity 10" in page.inner_text("#edit-result")
    assert page.get_by_label(re.compile(r"^Primary ")).get_attribute("aria-invalid") == "true"
    assert setting(live_server, "930001") == original
    assert page.locator("#settings-grid tbody tr[data-id='930001'] td.num").inner_text().startswith(
        str(original["capacity"]))
    assert_only_local(visit)


def test_paging_and_filters_show_the_right_counts(live_server: LiveServer, visit: Visit) -> None:
    all_settings = total(live_server)
    assert all_settings > 100  # the demo council: more than one page at every page size
    page = open_settings(visit, live_server, "commissioner")
    info = page.locator("#page-info")
    rows = page.locator("#settings-grid tbody tr")
    assert info.inner_text() == f"Rows 1-50 of {all_settings}"
    assert rows.count() == 50
    assert page.get_by_role("button", name="Previous rows").is_disabled()

    page.get_by_label("Rows per page").select_option("25")
    assert info.inner_text() == f"Rows 1-25 of {all_settings}" and rows.count() == 25
    page.get_by_role("button", name="Next rows").click()
    assert info.inner_text() == f"Rows 26-50 of {all_settings}"
    assert page.get_by_role("button", name="Previous rows").is_enabled()
    seen = set(rows.evaluate_all("trs => trs.map(tr => tr.dataset.id)"))
    while page.get_by_role("button", name="Next rows").is_enabled():
        page.get_by_role("button", name="Next rows").press("Enter")  # keyboard works too
        seen |= set(rows.evaluate_all("trs => trs.map(tr => tr.dataset.id)"))
    last_start = (all_settings - 1) // 25 * 25 + 1
    assert info.inner_text() == f"Rows {last_start}-{all_settings} of {all_settings}"
    assert rows.count() == all_settings - last_start + 1
    assert focused_id(page) == "page-prev"  # focus is not lost on a disabled button
    page.get_by_role("button", name="Previous rows").click()
    assert info.inner_text() == f"Rows {last_start - 25}-{last_start - 1} of {all_settings}"
    assert len(seen) == all_settings - 25  # every row after the first page was shown, none twice

    # Filters use the same counts as the API's own filters, and start again at the first row.
    page.get_by_label("Kind").select_option("special")
    special = total(live_server, kind="special")
    assert info.inner_text() == f"Rows 1-{special} of {special}" and rows.count() == special
    page.get_by_label("Kind").select_option("")
    page.get_by_label("In area", exact=True).select_option("out")
    out_of_area = total(live_server, in_area="false")
    assert 0 < out_of_area < 25
    assert info.inner_text() == f"Rows 1-{out_of_area} of {out_of_area}"
    assert set(rows.locator("td:nth-child(6)").all_inner_texts()) == {"no (out of area)"}
    page.get_by_label("In area", exact=True).select_option("")

    # Only warnings: specialist settings with no designations and settings with 0 places.
    _, body = call(live_server, "GET", f"instances/{live_server.instance_id}/settings?limit=500", role="planner")
    flagged = {s["id"] for s in body["items"]
               if (s["kind"] in SPECIALIST and not s["designations"]) or s["capacity"] == 0}
    assert flagged  # the demo council's pupil referral units have no designations
    page.get_by_label("Only settings with warnings").check()
    assert info.inner_text() == f"Rows 1-{len(flagged)} of {len(flagged)}"
    assert set(rows.evaluate_all("trs => trs.map(tr => tr.dataset.id)")) == flagged
    assert rows.locator(".tag.warn, .tag.bad").count() >= len(flagged)
    screenshot(visit, "24-settings-warnings")
    assert_only_local(visit)
