"""A SEND officer's workflow on the Placements page, through the UI only: every proposal reachable by paging, a
warning before a round far from the council's data, focus back after a run, the export telling "not met" from
"nothing requested", a short keyboard path to the pin form; and run progress that never goes backwards.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from tests.web.conftest import LiveServer, Visit, axe_blocking, sign_in  # shared helpers (importlib mode)
from tests.web.test_dashboard import ensure_placement_round

pytestmark = pytest.mark.slow


def open_placements(visit: Visit, server: LiveServer) -> Any:
    ensure_placement_round(server)
    sign_in(visit, server, "officer")
    page = visit.page
    page.get_by_role("link", name="Placements", exact=True).click()
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#decision-table")
    return page


def figure(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_every_proposal_is_reachable_a_page_at_a_time(live_server: LiveServer, visit: Visit) -> None:
    page = open_placements(visit, live_server)
    learners = figure(page.locator(".kpi", has_text="Learners in the round").locator(".value").inner_text())
    assert learners > 400, "the demo round is bigger than the old 400-row cap"
    page.get_by_label("Rows per page").select_option("200")
    seen: list[str] = []
    while True:
        seen += [t.strip() for t in page.locator("#decision-table tbody tr .pick").all_inner_texts()]
        if page.get_by_role("button", name="Next rows").is_disabled():
            break
        page.get_by_role("button", name="Next rows").click()
    assert len(seen) == len(set(seen)) == learners
    assert page.inner_text("#decisions .pg-info").endswith(f"of {learners:,}")


def test_far_round_year_warns_and_focus_returns_after_a_run(live_server: LiveServer, visit: Visit) -> None:
    page = open_placements(visit, live_server)
    before = page.get_attribute("#round-progress", "data-run-id")
    page.get_by_label("Places for academic year starting").fill("2035")
    page.get_by_role("button", name="Run placement round").click()
    warning = page.locator("#round-warning")
    warning.wait_for()
    assert "2035/36 is 9 years after the council's data (2026/27)" in warning.inner_text()
    assert page.get_attribute("#round-progress", "data-run-id") == before, "nothing ran on the first press"
    # Back to next September: no warning; run from the keyboard and focus comes back to the button.
    page.get_by_label("Places for academic year starting").fill("2027")
    assert warning.is_hidden()
    page.get_by_label("Time limit (seconds)").fill("10")
    page.locator("#run-round").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#round-progress[data-status=succeeded]", timeout=180_000)
    page.wait_for_function("document.activeElement && document.activeElement.id === 'run-round'")
    assert warning.is_hidden()


def test_export_tells_not_met_from_nothing_requested(live_server: LiveServer, visit: Visit) -> None:
    page = open_placements(visit, live_server)
    met_text = page.locator(".kpi", has_text="Preference met").locator(".value").inner_text()
    met, with_requests = (figure(x) for x in met_text.split(" of "))
    learners = figure(page.locator(".kpi", has_text="Learners in the round").locator(".value").inner_text())
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    values = [r["preference_met"] for r in rows]
    assert all(v in ("not met", "nothing requested") or re.fullmatch(r"choice \d+", v) for v in values)
    assert values.count("not met") == with_requests - met
    assert values.count("nothing requested") == learners - with_requests


def tabs_until(page: Any, element_id: str, limit: int) -> int:
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement && document.activeElement.id === '{element_id}'"):
            return presses
    raise AssertionError(f"#{element_id} not reached in {limit} Tab presses")


def test_keyboard_path_to_the_pin_form_is_short(live_server: LiveServer, visit: Visit) -> None:
    """Measured at 1400x1000 (docs/dashboard.md): from the page's heading, 1 Tab to the skip link, Enter, 1 Tab to
    the learner id, Enter, and the focused panel is 1 Tab from the pin form; a learner chosen from the list is
    1 Tab from it too. (Before: 7 + 1 + 3, the explanation's tables each a Tab stop even when nothing scrolled.)
    On a phone the panel's tables scroll and stay focusable, and axe finds nothing serious with the panel open."""
    page = open_placements(visit, live_server)
    learner = page.locator("#decision-table tbody tr .pick").first.inner_text().strip()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.locator("h1").click()  # start from the top of the main content
    to_skip = tabs_until(page, "skip-list", 10)
    page.keyboard.press("Enter")
    to_form = tabs_until(page, "learner-id", 5)
    page.keyboard.type(learner)
    page.keyboard.press("Enter")
    page.wait_for_selector("#learner-detail[data-ready=true]")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'learner-detail'")
    to_pin = tabs_until(page, "pin-setting", 10)
    assert (to_skip, to_form, to_pin) == (1, 1, 1)
    # From the list: the learner's button, Enter, and the pin form is the next Tab.
    second = page.locator("#decision-table tbody tr .pick").nth(1)
    second.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#learner-detail[data-learner='{second.inner_text().strip()}'][data-ready=true]")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'learner-detail'")
    assert tabs_until(page, "pin-setting", 10) == 1
    # On a phone the explanation's tables are wider than the screen: each scrolls and is a Tab stop again.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("[...document.querySelectorAll('#learner-body .table-wrap')].some(w => w.tabIndex === 0)")
    assert axe_blocking(visit) == []


def test_run_progress_never_goes_backwards(live_server: LiveServer, visit: Visit) -> None:
    """Polls that report progress out of order (an earlier step's message after a later one) do not move the bar
    back or replace the newer message. The service is stood in for by a fetch that answers a fixed sequence."""
    sign_in(visit, live_server, "officer")
    seen = visit.page.evaluate("""async () => {
      const steps = [[0.5, "forecast 2030"], [0.3, "forecast 2028"], [0.8, "sufficiency 2031"],
                     [0.7, "sufficiency 2029"]];
      const box = document.createElement("div"); document.body.append(box);
      const shown = () => [box.querySelector("progress").value, box.querySelector(".run-message").textContent];
      const seen = []; let i = 0; const real = window.fetch;
      const answer = body => new Response(JSON.stringify(Object.assign({ id: "fake-run", kind: "sufficiency" }, body)),
        { status: 200, headers: { "content-type": "application/json" } });
      window.fetch = async (url, opts) => {
        if (opts && opts.method === "POST") return answer({ status: "queued", progress: 0 });
        if (i > 0) seen.push(shown());
        if (i < steps.length) {
          const [progress, message] = steps[i++];
          return answer({ status: "running", progress, message });
        }
        i++;
        return answer({ status: "succeeded", progress: 1, message: "done" });
      };
      try { await PP.runAndWait({ kind: "sufficiency" }, box); } finally { window.fetch = real; }
      seen.push(shown());
      return seen;
    }""")
    bars = [value for value, _ in seen]
    assert bars == sorted(bars) and bars[-1] == 100
    messages = [message for _, message in seen]
    assert messages[:4] == ["Running: forecast 2030", "Running: forecast 2030", "Running: sufficiency 2031",
                            "Running: sufficiency 2031"]


def test_officer_sees_words_not_codes_and_a_fitting_denial(live_server: LiveServer, visit: Visit) -> None:
    page = open_placements(visit, live_server)
    info = page.inner_text("#round-info")
    assert "Optimal" in info or "Feasible" in info, info
    assert "OPTIMAL" not in info and "FEASIBLE" not in info
    page.goto(f"{live_server.base_url}/sufficiency")
    page.wait_for_selector("#role-denied:not([hidden])")
    denial = page.inner_text("#role-denied")
    assert "council-wide planning figures" in denial and "learner-level" not in denial
