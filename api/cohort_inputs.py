"""What a `cohort_forecast` run reads besides its instance: the council's yearly SEN2 returns, as files.

The returns are not stored in the database (an import keeps one caseload per instance, the latest return), so they
stay files in a folder the service owns: `PLACEPLAN_SEN2_RETURNS_DIR` (default `data_dir/sen2-returns`), one
sub-folder per set of returns (e.g. `sen2-returns/vale-of-zed/sen2_2021.zip ... sen2_2025.zip`, each a zip, an XML
or a module-CSV folder, as `placeplan forecast returns --sen2-returns` takes them). An administrator copies them
there; a run names the sub-folder in `parameters["returns"]`. The name must be a plain folder name (letters,
digits, `.`, `_`, `-`; no path), so a caller can never make the service read a file outside that folder.
`with_return_paths` (called by `api.jobs.load_run_input` in the worker) replaces whatever the caller sent as
`return_paths` with the files found there; `check_returns_name` answers 422 at submission for a bad name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from api.problems import ProblemError
from api.settings import ServiceSettings

NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$")


def returns_root(settings: ServiceSettings | None = None) -> Path:
    """The folder holding one sub-folder of returns per council (module docstring)."""
    found = settings or ServiceSettings()
    return (found.sen2_returns_dir or found.data_dir / "sen2-returns").resolve()


def check_returns_name(parameters: dict[str, Any]) -> None:
    """422 unless `parameters["returns"]` is a plain folder name (module docstring)."""
    name = parameters.get("returns")
    if not isinstance(name, str) or not NAME.match(name) or name in (".", ".."):
        raise ProblemError(422, "Invalid returns folder", "parameters.returns must name a folder of SEN2 returns "
                           "in the service's returns folder (letters, digits, '.', '_', '-'; no path)",
                           type_slug="invalid-returns-folder",
                           errors=[{"loc": ["body", "parameters", "returns"], "msg": "not a plain folder name",
                                    "type": "value_error"}])


def with_return_paths(parameters: dict[str, Any], settings: ServiceSettings | None = None) -> dict[str, Any]:
    """`parameters` with `return_paths` set to the returns in the named sub-folder (oldest name first)."""
    from planner.io.sen2.history import return_sources

    name = parameters.get("returns")
    if not isinstance(name, str) or not NAME.match(name) or name in (".", ".."):
        raise ValueError("parameters.returns must be a plain folder name")
    root = returns_root(settings)
    folder = (root / name).resolve()
    if folder.parent != root or not folder.is_dir():
        raise ValueError(f"no folder of SEN2 returns named {name!r} in the service's returns folder")
    return {**parameters, "return_paths": [str(p) for p in return_sources([folder])]}
