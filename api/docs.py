"""`/docs`: Swagger UI for the OpenAPI document, served from the installed `swagger-ui-bundle` package.

FastAPI's default page loads Swagger UI's script and stylesheet from a CDN (cdn.jsdelivr.net) and its favicon from
fastapi.tiangolo.com: a council network may block those, and a page holding an API key should not run third-party
script. The package ships the swagger-ui dist files (pinned in pyproject.toml), mounted here at /docs/assets.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"


def mount_docs(app: FastAPI) -> None:
    """Add GET /docs (the page) and /docs/assets (the packaged swagger-ui files); no network at runtime."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_ui_path), name="swagger-ui-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )
