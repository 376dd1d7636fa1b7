"""The web dashboard: server-rendered pages (Jinja2) whose small scripts call the JSON API with the user's key.

Why pages that fetch their data in the browser: the API key lives in the browser session (``sessionStorage``) and
every figure comes from the same role-checked JSON API that other clients use, so the dashboard can never show a
role more than the API would give it. Everything it needs is served from this app (Plotly's bundled
``plotly.min.js`` straight from the installed package): no CDN, fonts or map tiles, for council networks.

``mount_web(app)`` adds the page routes at ``/`` and the static files at ``/static``; it is idempotent.
"""

from __future__ import annotations

from api.web.pages import mount_web

__all__ = ["mount_web"]
