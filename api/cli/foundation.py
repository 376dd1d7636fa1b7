"""Foundation commands: `demo`, `import gias|learners|travel`, `settings list`, `instances list`, `db upgrade`, `serve`.

Every command reads the database location afresh from the environment (DATABASE_URL, else
PLACEPLAN_DATA_DIR/placeplan.db), migrates it to the latest schema, and reports problems as a message and a
non-zero exit code rather than a traceback: 1 for bad input (a file, an unknown instance or code), 2 when the
database cannot be reached.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from api import store
from api.cli.common import (
    CliError,
    display_url,
    fresh_settings,
    open_database,
    progress_bar,
    resolve_instance_id,
    run_command,
)
from api.cli.tables import CsvOption, results_console, show_table
from planner.domain.codes import NCY_MAX, Need, Phase, SettingKind, phase_of_ncy
from planner.domain.models import Instance, Setting

# --------------------------------------------------------------------------------------------------------------
# Place-sufficiency summary (pure: an Instance in, rows out)

# Specialist provision: a place in one of these counts towards specialist sufficiency (PRU/AP is short-stay,
# mainstream and FE colleges are not specialist places).
SPECIALIST_KINDS = frozenset({
    SettingKind.RESOURCED_PROVISION,
    SettingKind.SEN_UNIT,
    SettingKind.SPECIAL,
    SettingKind.SEMH_SPECIAL,
    SettingKind.INDEPENDENT_SPECIAL,
    SettingKind.POST16_SPECIALIST,
})

SUFFICIENCY_RULE = (
    "Needing a specialist place: learners placed now in a specialist setting (resourced provision, SEN unit, "
    "special, SEMH special, independent special, post-16 specialist), counted in their phase this year, plus "
    "learners not in one whose first requested setting is specialist, counted in the phase they move into next "
    "year. Places: open settings of those kinds designated for the need, by phase (a setting's phase caps when "
    "given, else its places shared across its phases by year groups); places designated for several needs are "
    "shared between them in proportion to the learners needing each. In area: the council's own (in area, not "
    "independent). Gap = needing - in-area places (positive = shortfall)."
)


@dataclass(frozen=True)
class SufficiencyRow:
    need: Need
    phase: Phase
    needing: int
    in_area: int
    out_of_area: int

    @property
    def gap(self) -> int:
        return self.needing - self.in_area


def _largest_remainder(total: int, weights: dict[Any, float]) -> dict[Any, int]:
    """Split `total` whole places in proportion to weights (equal shares when every weight is 0), summing exactly."""
    keys = list(weights)
    weight_sum = sum(weights.values())
    shares = {k: total * (weights[k] / weight_sum if weight_sum > 0 else 1 / len(keys)) for k in keys}
    parts = {k: int(share) for k, share in shares.items()}
    leftover = total - sum(parts.values())
    for k in sorted(keys, key=lambda k: (parts[k] - shares[k], keys.index(k)))[:leftover]:
        parts[k] += 1
    return parts


def _places_by_phase(setting: Setting) -> dict[Phase, int]:
    """A setting's places per phase: its phase caps when given, else shared by year groups."""
    if setting.capacity_by_phase:
        return dict(setting.capacity_by_phase)
    years = Counter(phase_of_ncy(n) for n in range(setting.ncy_min, setting.ncy_max + 1))
    return _largest_remainder(setting.capacity, {phase: float(count) for phase, count in years.items()})


def place_sufficiency(instance: Instance) -> list[SufficiencyRow]:
    """Specialist demand against places, for each need and phase with any of either (see SUFFICIENCY_RULE)."""
    settings = instance.setting_by_id
    needing: Counter[tuple[Need, Phase]] = Counter()
    for learner in instance.learners:
        ncy = instance.learner_ncy(learner)
        current = settings.get(learner.current_setting_id or "")
        if current is not None and current.kind in SPECIALIST_KINDS:
            needing[(learner.primary_need, phase_of_ncy(ncy))] += 1
            continue
        first = settings.get(learner.requested_setting_ids[0]) if learner.requested_setting_ids else None
        if first is not None and first.kind in SPECIALIST_KINDS:
            needing[(learner.primary_need, phase_of_ncy(min(ncy + 1, NCY_MAX)))] += 1
    in_area: Counter[tuple[Need, Phase]] = Counter()
    out_of_area: Counter[tuple[Need, Phase]] = Counter()
    for setting in instance.settings:
        if setting.kind not in SPECIALIST_KINDS or not setting.is_open_in(
            instance.base_year
        ):
            continue
        ours = setting.in_area and setting.kind is not SettingKind.INDEPENDENT_SPECIAL
        needs = sorted(setting.designated_needs, key=list(Need).index)
        for phase, places in _places_by_phase(setting).items():
            # Places designated for several needs are shared between them in proportion to who needs them.
            shares = _largest_remainder(places, {need: float(needing[(need, phase)]) for need in needs})
            for need, share in shares.items():
                (in_area if ours else out_of_area)[(need, phase)] += share
    keys = {key for counter in (needing, in_area, out_of_area) for key, value in counter.items() if value}
    return [
        SufficiencyRow(need, phase, needing[(need, phase)], in_area[(need, phase)], out_of_area[(need, phase)])
        for need in Need
        for phase in Phase
        if (need, phase) in keys
    ]


def sufficiency_table(instance: Instance) -> Table:
    table = Table(title=f"Specialist place sufficiency, {instance.name}, {instance.base_year}/"
                        f"{(instance.base_year + 1) % 100:02d}",
                  caption=SUFFICIENCY_RULE, caption_justify="left")
    table.add_column("Need")
    table.add_column("Phase")
    table.add_column("Needing a specialist place", justify="right")
    table.add_column("In-area places", justify="right")
    table.add_column("Out of area / independent", justify="right")
    table.add_column("Gap (needing - in area)", justify="right")
    rows = place_sufficiency(instance)
    for row in rows:
        gap = f"[red]{row.gap:+d}[/red]" if row.gap > 0 else ("0" if row.gap == 0 else f"[green]{row.gap:+d}[/green]")
        table.add_row(row.need.value, row.phase.value, str(row.needing), str(row.in_area), str(row.out_of_area),
                      gap)
    short = sum(max(row.gap, 0) for row in rows)
    table.add_section()
    table.add_row("All", "", str(sum(r.needing for r in rows)), str(sum(r.in_area for r in rows)),
                  str(sum(r.out_of_area for r in rows)), f"{short} short", style="bold")
    return table


# --------------------------------------------------------------------------------------------------------------
# Commands


def demo_command(preset: str, seed: int, csv_target: str | None = None) -> None:
    console = results_console(csv_target)

    def body() -> None:
        from scenarios.demo import build_demo, preset_names

        if preset not in preset_names():
            raise CliError(f"unknown preset {preset!r}: expected one of {', '.join(preset_names())}")
        settings = fresh_settings()
        with progress_bar(console) as progress:
            task = progress.add_task(f"Building the {preset} council (seed {seed})", total=3)
            instance = build_demo(preset, seed)
            progress.update(task, advance=1, description="Preparing the database")
            with open_database(settings) as engine:
                progress.update(task, advance=1, description=f"Saving {len(instance.learners):,} learners")
                with Session(engine) as session:
                    instance_id = store.replace_instance(session, instance, f"demo:{preset}:{seed}")
                    session.commit()
                progress.update(task, advance=1)
        show_table(sufficiency_table(instance), csv_target)
        console.print(
            f"[bold]{instance.name}[/bold] (instance {instance_id}): {len(instance.learners):,} learners, "
            f"{len(instance.settings):,} settings, {len(instance.localities)} localities, "
            f"{len(instance.teams)} outreach teams; database {display_url(settings.resolved_database_url())}"
        )

    run_command(console, body)


def settings_list_command(kind: str | None, need: str | None, locality: str | None, in_area: bool | None,
                          limit: int, instance_name: str | None, instance_id: int | None,
                          csv_target: str | None = None) -> None:
    console = results_console(csv_target)

    def body() -> None:
        try:
            kind_code = SettingKind(kind.strip().lower()) if kind else None
        except ValueError:
            raise CliError(f"unknown setting kind {kind!r}: expected one of "
                           f"{', '.join(k.value for k in SettingKind)}") from None
        from planner.domain.codes import parse_need

        try:
            need_code = parse_need(need) if need else None
        except ValueError as error:
            raise CliError(str(error)) from None
        with open_database(fresh_settings()) as engine, Session(engine) as session:
            chosen = resolve_instance_id(session, instance_name, instance_id)
            row = store.get_instance_row(session, chosen)
            filters: dict[str, Any] = {"kind": kind_code, "need": need_code, "locality_id": locality,
                                       "in_area": in_area}
            total = store.count_settings(session, chosen, **filters)
            rows = store.query_settings(session, chosen, limit=limit, **filters)
            table = Table("id", "name", "kind", "needs", "NCY", "places", "cost/place", "locality", "area",
                          "status", title=f"Settings of {row.name} (instance {chosen})",
                          caption=f"{len(rows)} of {total} matching setting(s)")
            for s in rows:
                table.add_row(s.setting_id, s.name, s.kind, ", ".join(s.designations) or "-",
                              f"{s.ncy_min}..{s.ncy_max}", str(s.capacity), f"£{s.cost_per_place:,}",
                              s.locality_id or "-", "in" if s.in_area else "out", s.status)
            show_table(table, csv_target)

    run_command(console, body)


def instances_list_command(csv_target: str | None = None) -> None:
    console = results_console(csv_target)

    def body() -> None:
        with open_database(fresh_settings()) as engine, Session(engine) as session:
            table = Table("id", "name", "year", "source", "localities", "settings", "learners", "teams", "created",
                          title="Stored instances")
            for s in store.list_instances(session):
                table.add_row(str(s.id), s.name, str(s.base_year), s.source, str(s.localities), str(s.settings),
                              str(s.learners), str(s.teams), s.created_at.strftime("%Y-%m-%d %H:%M UTC"))
            show_table(table, csv_target)

    run_command(console, body)


def db_upgrade_command() -> None:
    console = Console()

    def body() -> None:
        from api.migrate import current_revision

        settings = fresh_settings()
        with open_database(settings) as engine:
            console.print(f"database {display_url(settings.resolved_database_url())} is at revision "
                          f"{current_revision(engine)}")

    run_command(console, body)


def serve_command(host: str, port: int, reload: bool, workers: int = 1) -> None:
    import uvicorn

    # proxy_headers off: the app believes X-Forwarded-For only from PLACEPLAN_TRUSTED_PROXIES (api.guards).
    # Several workers share the database safely: migrations run once, and each process marks interrupted only the
    # runs of processes that are gone (api.runners); all workers must run on this one host.
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, reload=reload, proxy_headers=False,
                workers=None if reload else workers)


def register(app: typer.Typer, bench: typer.Typer) -> None:
    """Add the foundation commands to `placeplan`."""
    from api.cli.foundation_import import register_import
    from api.cli.instance_edit import register_edit_commands

    @app.command("demo")
    def demo(
        preset: str = typer.Option("demo", "--preset", help="demo (about 3,500 learners) or county (about 20,000)"),
        seed: int = typer.Option(2026, "--seed", help="Random seed: the same seed gives the same council"),
        csv_target: CsvOption = None,
    ) -> None:
        """Build the fictional demo council, store it (replacing an earlier one) and print its place sufficiency."""
        demo_command(preset, seed, csv_target)

    settings_app = typer.Typer(help="Settings (schools, bases, colleges) of a stored instance.", no_args_is_help=True)
    app.add_typer(settings_app, name="settings")

    @settings_app.command("list")
    def settings_list(
        kind: str | None = typer.Option(None, "--kind", help="Setting kind, e.g. special, resourced_provision"),
        need: str | None = typer.Option(None, "--need", help="Designated need, e.g. ASD, SEMH"),
        locality: str | None = typer.Option(None, "--locality", help="Locality id"),
        in_area: bool | None = typer.Option(None, "--in-area/--out-of-area", help="Only in area / out of area"),
        limit: int = typer.Option(50, "--limit", min=1, help="Most rows to show"),
        instance: str | None = typer.Option(None, "--instance", "--stored",
                                            help="Instance name (default: the latest stored)"),
        instance_id: int | None = typer.Option(None, "--instance-id", help="Instance id"),
        csv_target: CsvOption = None,
    ) -> None:
        """List settings with filters, as a table."""
        settings_list_command(kind, need, locality, in_area, limit, instance, instance_id, csv_target)

    instances_app = typer.Typer(help="Stored instances.", no_args_is_help=True)
    app.add_typer(instances_app, name="instances")

    @instances_app.command("list")
    def instances_list(csv_target: CsvOption = None) -> None:
        """List stored instances with their record counts."""
        instances_list_command(csv_target)

    register_edit_commands(settings_app, instances_app)

    db_app = typer.Typer(help="The database.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def db_upgrade() -> None:
        """Apply schema migrations (every command also does this before using the database)."""
        db_upgrade_command()

    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on"),
        port: int = typer.Option(8000, "--port", help="TCP port"),
        reload: bool = typer.Option(False, "--reload", help="Restart on code changes (development)"),
        workers: int = typer.Option(1, "--workers", min=1, max=64,
                                    help="Service processes (one per core serves the most requests; each runs "
                                         "PLACEPLAN_RUN_WORKERS solves)"),
    ) -> None:
        """Start the web API (uvicorn, api.main:create_app)."""
        serve_command(host, port, reload, workers)

    register_import(app)
