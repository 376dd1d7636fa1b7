"""Page routes of the dashboard and the navigation model (which role sees which page).

The pages carry no data: each renders a shell (headings, labelled controls, empty regions) and its script fetches
aggregates or learner records from ``/api/v1`` with the signed-in key. The role lists here only shape navigation;
the API enforces access on every call (a commissioner who types a learner page's address gets the page's
"not available to your role" notice, and the API would answer 403 anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.web.labels import page_data

WEB_DIR = Path(str(files("api.web")))
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
PLOTLY_PATH = "/static/vendor/plotly.min.js"
MOUNTED_FLAG = "placeplan_web_mounted"

ALL_ROLES = ("officer", "commissioner", "planner", "admin")
AGGREGATE_ROLES = ("commissioner", "planner", "admin")
LEARNER_ROLES = ("officer", "admin")


@dataclass(frozen=True)
class Page:
    """One dashboard page: its address, title, template and the roles whose navigation shows it."""

    slug: str
    title: str
    template: str
    roles: tuple[str, ...]
    learner_level: bool = False
    summary: str = ""


PAGES: tuple[Page, ...] = (
    Page("overview", "Overview", "overview.html", ALL_ROLES,
         summary="Headline figures for a scenario and year"),
    Page("sufficiency", "Sufficiency", "sufficiency.html", AGGREGATE_ROLES,
         summary="Places against forecast need by need and locality"),
    Page("forecast", "Forecast", "forecast.html", AGGREGATE_ROLES,
         summary="EHC plans forecast as a fan, with the model's own backtest error for the council"),
    Page("map", "Map", "map.html", AGGREGATE_ROLES,
         summary="Settings and demand drawn on the council's own grid"),
    Page("scenarios", "Scenarios", "scenarios.html", AGGREGATE_ROLES,
         summary="What-if scenarios, comparison and the expansion optimiser"),
    Page("settings", "Settings", "settings.html", AGGREGATE_ROLES,
         summary="Places and designations of the council's settings; admins correct them"),
    Page("placements", "Placements", "placements.html", LEARNER_ROLES, learner_level=True,
         summary="Placement rounds: proposals, reasons, pins and exports"),
    Page("transitions", "Transitions", "transitions.html", LEARNER_ROLES, learner_level=True,
         summary="This year's transition cases, team calendars and late risks"),
)


def plotly_js_path() -> Path:
    """The plotly.min.js that ships inside the installed plotly package (served as is, never from a CDN)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def build_router(templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def render(request: Request, template: str, page: Page | None, title: str) -> HTMLResponse:
        context = {"pages": PAGES, "page": page, "title": title, "plotly_path": PLOTLY_PATH, "page_data": page_data()}
        return templates.TemplateResponse(request, template, context)

    @router.get("/", response_class=HTMLResponse)
    def sign_in(request: Request) -> HTMLResponse:
        return render(request, "signin.html", None, "Sign in")

    def add_page(page: Page) -> None:
        def view(request: Request) -> HTMLResponse:
            return render(request, page.template, page, page.title)

        view.__name__ = f"page_{page.slug}"
        router.add_api_route(f"/{page.slug}", view, methods=["GET"], response_class=HTMLResponse)

    for page in PAGES:
        add_page(page)

    @router.get(PLOTLY_PATH)
    def plotly_js() -> Response:
        return FileResponse(plotly_js_path(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    return router


def mount_web(app: FastAPI) -> None:
    """Add the dashboard's pages at ``/`` and its static files at ``/static`` (a second call does nothing)."""
    if getattr(app.state, MOUNTED_FLAG, False) or any(getattr(r, "path", None) == "/" for r in app.routes):
        return
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    app.include_router(build_router(templates))
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    setattr(app.state, MOUNTED_FLAG, True)
