"""Builds the `placeplan` Typer application from the capability modules.

Each module in COMMAND_MODULES exposes `register(app, bench)`: it adds its commands to `app` and its benchmark
command (if any) to the `placeplan bench` group.
"""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES = (
    "api.cli.foundation",  # demo, import, settings, serve
    "api.cli.users",  # users add/list
    "api.cli.placement",  # place, bench placement
    "api.cli.sufficiency",  # forecast, sufficiency, bench sufficiency
    "api.cli.scenarios",  # scenario run/compare/optimise, cflp, bench expansion
    "api.cli.transitions",  # transitions plan, gap, bench transitions
    "api.cli.areas",  # localities derive/import/list/set, teams default/import/list/set
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="placeplan",
        help="Place planning for SEND services: placements, sufficiency, expansion and transitions.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
    )
    bench = typer.Typer(help="Benchmarks on the shipped presets; each ends with one line of figures.",
                        no_args_is_help=True)
    app.add_typer(bench, name="bench")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app, bench)
    return app


app = build_app()
