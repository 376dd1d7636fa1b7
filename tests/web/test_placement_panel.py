"""The SEND officer's learner panel on the Placements page (headless Chromium against the live demo council).

One placement round is made through the API for the module; each test picks its learner from that round's result
(or the API's answers), so nothing depends on another test's runs. The panel must come into view and take focus when
a learner is chosen, give each refused request its s39(4) ground in words with its numbers, offer pins only of the
plan's type, and mark the plan's proposal among the best settings.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from tests.web.conftest import LiveServer, Visit, screenshot, sign_in  # shared helpers (importlib mode)

pytestmark = pytest.mark.slow
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SPECIAL_KINDS = {"special", "semh_special"}  # the kinds whose type of provision is "special"
READY = '#learner-detail[data-learner="{id}"][data-ready="true"]'


def officer_client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url + "/api/v1", timeout=60,
                        headers={"Authorization": f"Bearer {server.keys['officer']}"})


@pytest.fixture(scope="module")
def placement_round(live_server: LiveServer) -> dict[str, Any]:
    """A finished placement round with its result (the newest, so the page shows it)."""
    with officer_client(live_server) as client:
        started = client.post("/runs", json={"kind": "placement", "instance_id": live_server.instance_id,
                                             "parameters": {}})
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run: dict[str, Any] = client.get(f"/runs/{started.json()['id']}").json()
            if run["status"] not in ("queued", "running"):
                assert run["status"] == "succeeded", run
                assert run["result"]["statistics"]["status"] == "OPTIMAL"
                return run
            time.sleep(0.2)
    raise AssertionError("the placement round did not finish in 120 s")


def assert_only_local(visit: Visit) -> None:
    foreign = [url for url in visit.requests
               if not url.startswith(("data:", "blob:")) and urlparse(url).hostname not in LOCAL_HOSTS]
    assert foreign == [], f"requests left localhost: {foreign}"
    assert visit.errors == [], f"JavaScript errors: {visit.errors}"


def open_placements(visit: Visit, server: LiveServer, run: dict[str, Any]) -> Any:
    page = visit.page
    sign_in(visit, server, "officer")
    page.get_by_role("link", name="Placements", exact=True).click()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#decision-table")
    assert f"run {run['id'][:8]}" in page.inner_text("#round-info")
    return page


def choose_from_list(page: Any, learner_id: str) -> None:
    """Find the learner in the list and open them with the keyboard (Enter on their button)."""
    page.get_by_label("Find learner").fill(learner_id)
    button = page.get_by_role("button", name=f"Open learner {learner_id}", exact=True)
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(READY.format(id=learner_id))


def panel_state(page: Any) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate("""() => {
        const panel = document.getElementById('learner-detail'), r = panel.getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, height: window.innerHeight, focused: document.activeElement === panel,
                inside: panel.contains(document.activeElement), active: document.activeElement.id || ''};
    }""")
    return state


def test_choosing_a_learner_brings_the_panel_into_view_and_focuses_it(
        live_server: LiveServer, visit: Visit, placement_round: dict[str, Any]) -> None:
    page = open_placements(visit, live_server, placement_round)
    page.set_viewport_size({"width": 1280, "height": 720})
    first = placement_round["result"]["decisions"][0]["learner_id"]
    assert page.locator("#learner-detail").is_hidden()
    below = page.evaluate("document.getElementById('learner-section').getBoundingClientRect().top > innerHeight")
    assert below, "the learner section should start below the fold for this test to mean anything"

    button = page.get_by_role("button", name=f"Open learner {first}", exact=True)
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(READY.format(id=first))
    state = panel_state(page)
    assert state["focused"], state
    assert 0 <= state["top"] < state["height"], state
    assert page.get_by_role("region", name=f"Learner {first}").is_visible()
    # The next Tab stays in the panel (not back into the list) ...
    page.keyboard.press("Tab")
    assert panel_state(page)["inside"]
    # ... and "Back to the list" returns to the learner's button.
    page.get_by_role("button", name="Back to the list").click()
    assert page.evaluate("document.activeElement.dataset.id") == first

    # The skip link, first in the page, takes a keyboard user past the round and the list to the learner form.
    page.locator("#main").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "skip-list"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "learner-id"

    # Giving an id in the form does the same.
    page.evaluate("window.scrollTo(0, 0)")
    second = placement_round["result"]["decisions"][1]["learner_id"]
    page.get_by_label("Learner id").fill(second)
    page.get_by_role("button", name="Show best settings").click()
    page.wait_for_selector(READY.format(id=second))
    state = panel_state(page)
    assert state["focused"] and 0 <= state["top"] < state["height"], state
    screenshot(visit, "09-placement-panel-in-view")
    assert_only_local(visit)


def test_refused_requests_show_their_ground_in_words_and_their_numbers(
        live_server: LiveServer, visit: Visit, placement_round: dict[str, Any]) -> None:
    def first_refusal(ground: str, outcome: str) -> tuple[str, dict[str, Any]]:
        for decision in placement_round["result"]["decisions"]:
            for request in decision["requests"]:
                if request["ground"] == ground and request["outcome"] == outcome and request["detail"]:
                    return decision["learner_id"], request
        raise AssertionError(f"the demo round has no {outcome} request refused as {ground}")

    page = open_placements(visit, live_server, placement_round)
    cases = [(*first_refusal("EFFICIENT_EDUCATION_OF_OTHERS", "FULL"),
              "incompatible with the efficient education of others"),
             (*first_refusal("UNSUITABLE", "TOO_FAR"), "unsuitable")]
    for learner_id, request, words in cases:
        choose_from_list(page, learner_id)
        caption = page.inner_text("#request-table caption")
        assert "Children and Families Act 2014 s39(4)" in caption
        row = page.locator("#request-table tbody tr").nth(request["rank"] - 1)
        text = row.inner_text()
        assert request["setting_id"] in text
        assert words in text
        assert request["detail"] in text  # the numbers, e.g. "journey 83 min against a limit of 75 min"
        assert any(ch.isdigit() for ch in request["detail"])
        assert "GROUND" not in text and "EFFICIENT_" not in text  # words, not the code
    screenshot(visit, "10-placement-panel-refusals")
    assert_only_local(visit)


def test_pin_list_offers_only_settings_of_the_plans_type(
        live_server: LiveServer, visit: Visit, placement_round: dict[str, Any]) -> None:
    result = placement_round["result"]
    order = {d["learner_id"]: i for i, d in enumerate(result["decisions"])}
    with officer_client(live_server) as client:
        base_year = client.get(f"/instances/{live_server.instance_id}").json()["base_year"]
        listed = client.get(f"/instances/{live_server.instance_id}/settings", params={"limit": 500}).json()
        kinds = {s["id"]: s["kind"] for s in listed["items"]}
        candidates, staying = [], []
        for setting_id in sorted(sid for sid, kind in kinds.items() if kind == "special"):
            learners = client.get(f"/instances/{live_server.instance_id}/learners",
                                  params={"current_setting_id": setting_id, "limit": 500}).json()["items"]
            plain = [x for x in learners if x["ncy"] is not None and x["provision_type"] is None
                     and not x["acceptable_types"] and x["ncy"] + result["academic_year"] - base_year < 12]
            candidates += [x["id"] for x in plain if x["id"] in order
                           and x["ncy"] + result["academic_year"] - base_year == 7]  # Year 6 -> 7: transfer
            staying += [x["id"] for x in plain if x["id"] not in order]
    assert candidates, "the demo round has no special school learner at transfer"
    learner_id = min(candidates, key=order.__getitem__)
    assert set(kinds.values()) - SPECIAL_KINDS, "the council must have settings of other types"

    page = open_placements(visit, live_server, placement_round)
    choose_from_list(page, learner_id)
    assert page.inner_text("#plan-types").startswith("special school")
    offered = page.locator("#pin-setting option").evaluate_all("options => options.map(o => o.value)")
    assert offered, "a special school learner at transfer in the demo council has special schools to pin to"
    assert {kinds[sid] for sid in offered} <= SPECIAL_KINDS, {sid: kinds[sid] for sid in offered}
    assert page.locator("#pin-setting").is_enabled()
    screenshot(visit, "11-placement-panel-pin-special")

    # A special school learner not in this round: the types come from their record, still only special schools.
    not_in_round = min(staying)
    page.get_by_label("Learner id").fill(not_in_round)
    page.get_by_role("button", name="Show best settings").click()
    page.wait_for_selector(READY.format(id=not_in_round))
    assert "Not in this round" in page.inner_text("#learner-detail")
    assert page.inner_text("#plan-types").startswith("special school")
    offered = page.locator("#pin-setting option").evaluate_all("options => options.map(o => o.value)")
    assert offered and {kinds[sid] for sid in offered} <= SPECIAL_KINDS

    # A learner no setting can take: nothing to pin, and the panel says so.
    nothing = next(d["learner_id"] for d in result["decisions"]
                   if d["unplaced_reason"] in ("NO_DESIGNATED_SETTING", "NO_SETTING_OF_PLAN_TYPE", "TOO_FAR"))
    choose_from_list(page, nothing)
    assert page.locator("#pin-setting option").count() == 0
    assert page.locator("#pin-setting").is_disabled() and page.locator("#pin-btn").is_disabled()
    assert "nothing to pin" in page.inner_text("#pin-note")
    assert_only_local(visit)


def test_best_settings_mark_the_proposal_with_journey_minutes(
        live_server: LiveServer, visit: Visit, placement_round: dict[str, Any]) -> None:
    decisions = placement_round["result"]["decisions"]
    placed = next(d for d in decisions if d["setting_id"] is not None and not d["pinned"])
    page = open_placements(visit, live_server, placement_round)
    choose_from_list(page, placed["learner_id"])
    assert f"journey {placed['travel_minutes']} min" in page.inner_text("#proposal")
    proposed = page.locator("#best-table tbody tr.row-proposed")
    assert proposed.count() == 1
    assert page.locator("#best-table tbody tr").first.get_attribute("class") == "row-proposed"
    cells = proposed.locator("td").all_inner_texts()
    assert placed["setting_id"] in cells[0] and "proposal" in cells[0]
    assert cells[2].strip() == str(placed["travel_minutes"])  # Journey (min)

    # A full option names the learner it would displace (pseudonymous id), as the API's options say.
    with officer_client(live_server) as client:
        full = None
        for d in decisions:
            if d["unplaced_reason"] != "ALL_FULL":
                continue
            items = client.get(f"/placements/{placement_round['id']}/learners/{d['learner_id']}/options",
                               params={"n": 5}).json()["items"]
            full = next(((d["learner_id"], o) for o in items if o["would_displace"]), None)
            if full:
                break
    assert full, "the demo round has no unplaced learner with a full option to displace from"
    learner_id, option = full
    choose_from_list(page, learner_id)
    row = page.locator("#best-table tbody tr", has_text=option["setting_id"])
    assert f"would displace {option['would_displace'][0]}" in row.inner_text()
    assert page.locator("#best-table tbody tr.row-proposed").count() == 0  # unplaced: no proposal to mark
    screenshot(visit, "12-placement-panel-options")
    assert_only_local(visit)


def test_panel_flags_step_down_and_inserts_text_only_as_text(
        live_server: LiveServer, visit: Visit, placement_round: dict[str, Any]) -> None:
    """The demo council has no step-down and no resources threshold: the explanation is altered in flight (a real
    answer with step_down set and a request refused on resources with markup in its detail)."""
    decision = next(d for d in placement_round["result"]["decisions"] if d["requests"] and d["setting_id"])
    hostile = '<img src="x" id="injected"> costs £61,000 a year against £24,500 (threshold £10,000)'

    def alter(route: Any) -> None:
        body = route.fetch().json()
        body["step_down"] = True
        body["requests"][0].update(outcome="UNSUITABLE", ground="EFFICIENT_USE_OF_RESOURCES", detail=hostile)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page = open_placements(visit, live_server, placement_round)
    page.route(lambda url: f"/placements/{placement_round['id']}/learners/{decision['learner_id']}?" in url, alter)
    choose_from_list(page, decision["learner_id"])
    assert "Step down from specialist to mainstream: review" in page.inner_text("#step-down")
    first = page.locator("#request-table tbody tr").first.inner_text()
    assert "incompatible with the efficient use of resources" in first
    assert hostile in first
    assert page.locator("#injected").count() == 0
    inline = "document.querySelectorAll('#learner-detail [onclick], #learner-detail [onerror]').length"
    assert page.evaluate(inline) == 0
    assert_only_local(visit)
