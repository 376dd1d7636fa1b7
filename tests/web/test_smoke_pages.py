"""Quick checks without a browser: the pages render, are accessible shells, and mount_web is idempotent."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.web import mount_web
from api.web.pages import PAGES


def test_pages_render_and_mount_is_idempotent(live_server) -> None:  # type: ignore[no-untyped-def]
    app = live_server.app
    routes_before = len(app.routes)
    mount_web(app)
    assert len(app.routes) == routes_before
    client = TestClient(app)
    home = client.get("/")
    assert home.status_code == 200
    assert '<html lang="en-GB">' in home.text
    assert 'for="api-key"' in home.text
    for page in PAGES:
        response = client.get(f"/{page.slug}")
        assert response.status_code == 200, page.slug
        assert f"<h1>{page.title}</h1>" in response.text
        assert 'class="skip-link"' in response.text
        assert "https://" not in response.text and "http://" not in response.text


def test_static_files_and_plotly_are_served_locally(live_server) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(live_server.app)
    plotly = client.get("/static/vendor/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert "plotly" in plotly.text[:2000].lower()
    for name in ("app.js", "app.css", "signin.js"):
        assert client.get(f"/static/{name}").status_code == 200
