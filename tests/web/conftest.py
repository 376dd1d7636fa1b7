"""A live dashboard for the browser tests: the demo council in a tmp SQLite database, one API key per role, the
app (with the web pages mounted) served by uvicorn on a free localhost port, and headless Chromium via Playwright.

One server and one browser per test session keep the suite quick. The browser tests skip when /usr/bin/chromium is
missing, except in CI (env CI == "true"), where they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from api import store
from api.auth import Role, create_user
from api.db import make_engine
from api.jobs import JobSettings
from api.main import create_app
from api.migrate import upgrade_to_head
from api.settings import ServiceSettings
from api.web import mount_web

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROLES = ("officer", "commissioner", "planner", "admin")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@dataclass
class LiveServer:
    base_url: str
    keys: dict[str, str]
    instance_id: int
    app: FastAPI
    extra: dict[str, Any] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_app(database_url: str) -> tuple[FastAPI, dict[str, str], int]:
    """The service on `database_url` with the demo council stored and a key for every role."""
    from scenarios.demo import build_demo

    engine = make_engine(database_url)
    upgrade_to_head(engine)
    with Session(engine) as session:
        instance_id = store.save_instance(session, build_demo("demo", 2026), "demo:demo:2026")
        keys = {role: create_user(session, f"web-{role}", Role(role),
                                  councils=() if role == "admin" else (instance_id,))[1] for role in ROLES}
        session.commit()
    app = create_app(ServiceSettings(), engine, migrate=False,
                     job_settings=JobSettings(run_executor="thread", progress_interval_seconds=0.1,
                                              cancel_poll_seconds=0.1))
    mount_web(app)
    return app, keys, instance_id


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    database = tmp_path_factory.mktemp("web") / "dashboard.db"
    app, keys, instance_id = build_app(f"sqlite:///{database}")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard server did not start")
        time.sleep(0.05)
    yield LiveServer(base_url=f"http://127.0.0.1:{port}", keys=keys, instance_id=instance_id, app=app)
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests", pytrace=False)
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A browser page with every request it made recorded (to prove nothing leaves localhost)."""

    page: Any
    requests: list[str]
    errors: list[str]


@pytest.fixture
def visit(browser: Any) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    recorded = Visit(page=page, requests=[], errors=[])
    page.on("request", lambda request: recorded.requests.append(request.url))
    page.on("pageerror", lambda error: recorded.errors.append(str(error)))
    yield recorded
    context.close()


def sign_in(visit: Visit, server: LiveServer, role: str) -> None:
    page = visit.page
    page.goto(server.base_url + "/")
    page.get_by_label("API key").fill(server.keys[role])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/overview")
    page.wait_for_selector(f"#who:has-text('Signed in as {role}')")
    page.wait_for_selector("body[data-ready=true]")


def screenshot(visit: Visit, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    visit.page.screenshot(path=str(path), full_page=True)
    return path


def axe_blocking(visit: Visit) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (axe.min.js from the
    axe-playwright-python package), as "rule (impact): first target" lines."""
    import axe_playwright_python

    script = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    visit.page.evaluate(script)
    result = visit.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target'] if v['nodes'] else ''}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


SEN2_TABLES = Path(__file__).resolve().parents[1] / "data" / "sen2-2025"  # the DfE tables, four LAs (copied)
TRAFFORD = "E08000009"


def published_forecast_body(horizon: int = 3, draws: int = 200) -> dict[str, Any]:
    """A `published_forecast` run of Trafford from the DfE tables in tests/data (England and the four LAs)."""
    from planner.forecast.published import available_years, read_caseload

    tables = read_caseload(SEN2_TABLES, available_years(SEN2_TABLES))
    areas = [{"code": a.code, "name": a.name, "level": a.level,
              "values": {m: {str(y): v for y, v in by_year.items()} for m, by_year in a.values.items()}}
             for a in (*tables.local_authorities, tables.national) if a is not None]
    return {"kind": "published_forecast",
            "parameters": {"la_code": TRAFFORD, "areas": areas, "horizon_years": horizon, "draws": draws}}
