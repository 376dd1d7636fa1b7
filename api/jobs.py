"""Solve runs as jobs: queued on POST, executed outside the request, polled, cancelled, resubmitted.

Why a process pool by default: a placement-sized solve spends much of its time in Python (building arrays and
models) holding the GIL; in a thread it would slow every request. In a separate process it cannot, and a crash in
native solver code cannot take the service down. The worker talks to the parent only through the database: it
writes progress (throttled) and the result to the run's row, and polls `run_cancellations` for a stop request
(`Progress.should_stop()`), so the same code works for threads (tests, in-memory databases) and processes.

Life cycle: queued -> running -> succeeded | failed | cancelled. At start-up, runs left queued or running by a
process that died are marked `interrupted` (they can be resubmitted; the new run records `resubmitted_from`).
Finished runs are never touched again.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Request
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, col

from api.audit import learners_in_result, record_audit
from api.auth import Principal, Role, normalise_roles
from api.problems import ProblemError
from api.run_kinds import RUN_KINDS
from api.runners import live_runner_ids, new_runner_id, register_runner
from api.scoping import council_of_run, run_council
from api.service_tables import RunCancellationRow
from api.tables import FINISHED_RUN_STATUSES, RunRow, RunStatus, ScenarioRow, utc_now
from planner.domain.models import Instance
from planner.solving.progress import RunCancelled

logger = logging.getLogger(__name__)

RunFunctionRef = str | Callable[[Instance, dict[str, Any], Any], dict[str, Any]]
SHUTDOWN_REQUESTER = "service shutdown"

# Who may start, read and cancel each kind of run (admin always may). Placement and transitions results are
# learner-level (named learners and where they go): officers only. Aggregates go to commissioners and planners.
RUN_KIND_ROLES: dict[str, tuple[Role, ...]] = {
    "placement": (Role.OFFICER,),
    "transitions": (Role.OFFICER,),
    "forecast": (Role.COMMISSIONER, Role.PLANNER),
    "published_forecast": (Role.COMMISSIONER, Role.PLANNER),  # totals of the DfE tables: aggregates
    "cohort_forecast": (Role.COMMISSIONER, Role.PLANNER),  # totals of draws: aggregates (api.cohort_inputs)
    "sufficiency": (Role.COMMISSIONER, Role.PLANNER),
    "scenario": (Role.COMMISSIONER, Role.PLANNER),
    "expansion": (Role.PLANNER,),
    "download": (Role.COMMISSIONER, Role.PLANNER),  # forecast/sufficiency files (api.downloads): aggregates
}
# Run kinds of the service itself (not solvers, so not in api.run_kinds' list the CLI runs).
SERVICE_RUN_KINDS: dict[str, str] = {"download": "api.downloads:run_download"}

# Test-only kinds (enabled by PLACEPLAN_ENABLE_TEST_RUN_KINDS=1): they let tests and the load benchmark exercise
# the job machinery without a real solver. Never enable them in production.
TEST_RUN_KINDS: dict[str, str] = {
    "test_sleep": "api.jobs:run_test_sleep",
    "test_cpu": "api.jobs:run_test_cpu",
    "test_fail": "api.jobs:run_test_fail",
}
TEST_RUN_KIND_ROLES: tuple[Role, ...] = (Role.OFFICER, Role.COMMISSIONER, Role.PLANNER)


class JobSettings(BaseSettings):
    """How runs are executed; every field can be set by a PLACEPLAN_ environment variable."""

    model_config = SettingsConfigDict(env_prefix="PLACEPLAN_", extra="ignore")

    run_executor: Literal["process", "thread"] = Field(
        default="process", description="process: solves in worker processes (default); thread: in threads"
    )
    enable_test_run_kinds: bool = Field(default=False, description="Test-only slow/failing run kinds")
    progress_interval_seconds: float = Field(default=0.5, description="Least time between progress writes")
    cancel_poll_seconds: float = Field(default=0.25, description="Least time between cancellation checks")
    shutdown_grace_seconds: float = Field(default=10.0, description="Wait for running solves to stop at shutdown")
    worker_watchdog_seconds: float = Field(
        default=0.5, gt=0, le=5,
        description="How often a solve worker checks that the service process is still alive (it kills itself "
                    "when not): a worker outlives a killed service by at most about this long",
    )
    worker_nice: int = Field(
        default=10, ge=0, le=19,
        description="How much to lower solve worker processes' OS priority (os.nice): API requests keep a core "
                    "while a solve runs; the solve still gets every cycle the service leaves idle",
    )


# ----------------------------------------------------------------------------------------------------------------
# Test-only run kinds


def run_test_sleep(instance: Instance, parameters: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Sleeps `seconds` (default 5) in small steps, reporting progress and honouring cancellation."""
    seconds = float(parameters.get("seconds", 5.0))
    if seconds < 0 or seconds > 3600:
        raise ValueError(f"parameters.seconds must be between 0 and 3600, got {seconds}")
    start = time.monotonic()
    steps = max(1, int(seconds / 0.05))
    for step in range(steps):
        if progress.should_stop():
            raise RunCancelled()
        time.sleep(seconds / steps)
        progress.report((step + 1) / steps, f"slept {time.monotonic() - start:.1f}s of {seconds:.1f}s")
    return {"status": "optimal", "statistics": {"wall_seconds": time.monotonic() - start, "objective": 0},
            "learners": len(instance.learners)}


def run_test_cpu(instance: Instance, parameters: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Burns CPU in pure Python (holding the GIL) for `seconds`: a stand-in for a heavy solve."""
    seconds = float(parameters.get("seconds", 5.0))
    start = time.monotonic()
    total = 0
    while (elapsed := time.monotonic() - start) < seconds:
        for i in range(20_000):
            total += i * i % 7
        if progress.should_stop():
            raise RunCancelled()
        progress.report(min(1.0, elapsed / seconds), "burning CPU")
    return {"status": "optimal", "statistics": {"wall_seconds": time.monotonic() - start, "objective": total}}


def run_test_fail(instance: Instance, parameters: dict[str, Any], progress: Any) -> dict[str, Any]:
    """Always fails with a parameter error, like a solver rejecting its parameters."""
    raise ValueError("parameters.fail: this test run kind always fails")


# ----------------------------------------------------------------------------------------------------------------
# Worker side (runs in a thread or a worker process; talks to the parent through the database only)


class DatabaseProgress:
    """Progress written to the run's row (throttled); `should_stop` polls the cancellation table (throttled)."""

    def __init__(self, engine: Engine, run_id: str, options: JobSettings) -> None:
        self.engine = engine
        self.run_id = run_id
        self.options = options
        self._last_write = 0.0
        self._last_poll = 0.0
        self._stop = False
        self.stop_requested_by: str | None = None
        self.label: str | None = None  # "scenario <name>": every message says which scenario it is about

    def report(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self._last_write < self.options.progress_interval_seconds and fraction < 1.0:
            return
        self._last_write = now
        if self.label and not str(message).startswith(self.label):
            message = f"{self.label}: {message}"
        fraction = min(1.0, max(0.0, float(fraction)))
        with Session(self.engine) as session:
            session.execute(
                update(RunRow).where(col(RunRow.id) == self.run_id, col(RunRow.status) == RunStatus.RUNNING.value)
                .values(progress=fraction, message=str(message)[:1000])
            )
            session.commit()

    def should_stop(self) -> bool:
        if self._stop:
            return True
        now = time.monotonic()
        if now - self._last_poll < self.options.cancel_poll_seconds:
            return False
        self._last_poll = now
        with Session(self.engine) as session:
            row = session.get(RunCancellationRow, self.run_id)
        if row is not None:
            self._stop = True
            self.stop_requested_by = row.requested_by
        return self._stop


def _lower_worker_priority(increment: int) -> None:
    """Solves yield the CPU to the service's request handling (Unix; no-op elsewhere)."""
    if increment > 0 and hasattr(os, "nice"):
        with suppress(OSError):
            os.nice(increment)


def _die_with_parent(parent_pid: int, interval: float) -> None:
    """Kill this worker as soon as the service process that started it is gone (a watchdog thread).

    A service killed with SIGKILL (a crash, the OOM killer) cannot stop its pool: its workers are re-parented and
    would finish solves nobody will store (issue 18: 320-575 MB and a core each for minutes). A watchdog polling
    `os.getppid()` rather than Linux's prctl(PR_SET_PDEATHSIG): that signal fires when the parent *thread* that
    forked the worker ends, and ProcessPoolExecutor starts workers from whichever thread submits (anyio's request
    threads, which end when idle), so it would kill healthy workers. The restarted service marks the run
    `interrupted` (JobRunner.mark_interrupted), as for any run a dead process left.
    """
    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(interval)

    if os.getppid() != parent_pid:  # the service died before this worker finished starting
        os.kill(os.getpid(), signal.SIGKILL)
    threading.Thread(target=watch, name="placeplan-parent-watchdog", daemon=True).start()


def _init_worker(nice_increment: int, parent_pid: int, watchdog_seconds: float) -> None:
    """Process-pool initializer: lower the worker's priority and tie its life to the service's."""
    _lower_worker_priority(nice_increment)
    _die_with_parent(parent_pid, watchdog_seconds)


def _resolve(ref: RunFunctionRef) -> Callable[[Instance, dict[str, Any], Any], dict[str, Any]]:
    if callable(ref):
        return ref
    module_name, function_name = ref.split(":")
    function: Callable[[Instance, dict[str, Any], Any], dict[str, Any]] = getattr(
        importlib.import_module(module_name), function_name
    )
    return function


def _json_safe(value: Any) -> Any:
    """The result as plain JSON (dates and enums become strings), so it stores the same on every database.
    Non-finite numbers (an unproven bound's infinite gap) become null: JSON has no Infinity or NaN, and a browser's
    JSON.parse refuses the whole result when Python writes them."""
    return json.loads(json.dumps(value, default=str), parse_constant=lambda _name: None)


def _finish(engine: Engine, run_id: str, **values: Any) -> None:
    with Session(engine) as session:
        session.execute(
            update(RunRow).where(col(RunRow.id) == run_id, col(RunRow.status).in_(
                [RunStatus.QUEUED.value, RunStatus.RUNNING.value])).values(finished_at=utc_now(), **values)
        )
        session.commit()


def scenario_edits_with_lineage(session: Session, scenario: ScenarioRow) -> list[dict[str, Any]]:
    """The scenario's edits after its ancestors' (root first): a child refines its parent."""
    chain = [scenario]
    seen = {scenario.id}
    while chain[0].parent_scenario_id is not None and len(chain) < 50:
        parent = session.get(ScenarioRow, chain[0].parent_scenario_id)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        chain.insert(0, parent)
    return [edit for row in chain for edit in (row.edits or [])]


def load_run_input(session: Session, run: RunRow) -> tuple[Instance, dict[str, Any]]:
    """The instance a run solves and its parameters (scenario edits applied, their overrides under the request's)."""
    from api import store
    from api.scenario_store import stamp_run

    parameters = dict(run.parameters or {})
    stamp_run(session, run)  # the scenario's name and lineage as they are now, when it starts
    session.add(run)
    session.commit()
    if run.kind == "transitions":
        # Receiving settings from the instance's latest placement run (api.transition_inputs)
        from api.transition_inputs import with_placement_proposals

        parameters = with_placement_proposals(session, run, parameters)
    if run.kind == "cohort_forecast":
        # The council's SEN2 returns, found by folder name under the service's returns folder (api.cohort_inputs)
        from api.cohort_inputs import with_return_paths

        parameters = with_return_paths(parameters)
    if run.scenario_id is not None:
        scenario = session.get(ScenarioRow, run.scenario_id)
        if scenario is None:
            raise ValueError(f"scenario {run.scenario_id} no longer exists")
        base = store.load_instance(session, scenario.base_instance_id)
        label = {"name": run.scenario_name, "lineage": [m["name"] for m in run.scenario_lineage or []]}
        base = base.model_copy(update={"metadata": {**base.metadata, "scenario": label}})  # scenarios.runner reads it
        edits = scenario_edits_with_lineage(session, scenario)
        if not edits:
            return base, parameters
        from scenarios.what_if import materialise, run_parameters

        instance, overrides = materialise(base, edits)
        return instance, run_parameters(run.kind, instance, overrides, parameters)
    if run.instance_id is None:
        raise ValueError("the run's instance no longer exists")
    base = store.load_instance(session, run.instance_id)
    shipped = parameters.get("scenario") if run.kind != "scenario" else None  # scenario runs materialise it
    if shipped is None:
        return base, parameters
    # A shipped scenario as the target of another kind (expansion, sufficiency...): scenarios.registry.
    from scenarios.registry import shipped_run_input

    return shipped_run_input(run.kind, str(shipped), base, {k: v for k, v in parameters.items() if k != "scenario"})


def execute_run(database: Engine | str, run_id: str, function_ref: RunFunctionRef, options: JobSettings) -> str:
    """Run one job to the end, recording everything on its row. Returns the final status."""
    if isinstance(database, str):
        from api.db import make_engine

        engine = make_engine(database)
        owns_engine = True
    else:
        engine, owns_engine = database, False
    try:
        return _execute(engine, run_id, function_ref, options)
    finally:
        if owns_engine:
            engine.dispose()


def _execute(engine: Engine, run_id: str, function_ref: RunFunctionRef, options: JobSettings) -> str:
    with Session(engine) as session:
        claimed = session.execute(
            update(RunRow).where(col(RunRow.id) == run_id, col(RunRow.status) == RunStatus.QUEUED.value)
            .values(status=RunStatus.RUNNING.value, started_at=utc_now(), message="starting")
        )
        session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return "skipped"  # cancelled while queued (or claimed elsewhere)
        run = session.get(RunRow, run_id)
        assert run is not None
        kind = run.kind
        progress = DatabaseProgress(engine, run_id, options)
        try:
            instance, parameters = load_run_input(session, run)
            progress.label = f"scenario {run.scenario_name}" if run.scenario_name else None
        except Exception as error:  # noqa: BLE001 - any input problem fails the run with its message
            _finish(engine, run_id, status=RunStatus.FAILED.value, error=_describe(error),
                    message="could not load the run's input")
            logger.warning("run %s (%s) failed to load its input: %s", run_id, kind, type(error).__name__)
            return RunStatus.FAILED.value
    started = time.monotonic()
    logger.info("run %s (%s) started", run_id, kind)
    try:
        result = _json_safe(_resolve(function_ref)(instance, parameters, progress))
    except RunCancelled:
        interrupted = progress.stop_requested_by == SHUTDOWN_REQUESTER
        status = RunStatus.INTERRUPTED if interrupted else RunStatus.CANCELLED
        _finish(engine, run_id, status=status.value,
                message="stopped by service shutdown; resubmit it" if interrupted else "cancelled on request")
        logger.info("run %s (%s) %s after %.1fs", run_id, kind, status.value, time.monotonic() - started)
        return status.value
    except Exception as error:  # noqa: BLE001 - a failed solve is a failed run, never a dead worker
        _finish(engine, run_id, status=RunStatus.FAILED.value, error=_describe(error), message="failed")
        logger.warning("run %s (%s) failed: %s", run_id, kind, type(error).__name__)
        return RunStatus.FAILED.value
    statistics = result.get("statistics", {}) if isinstance(result, dict) else {}
    _finish(engine, run_id, status=RunStatus.SUCCEEDED.value, progress=1.0, message="finished",
            result=result if isinstance(result, dict) else {"value": result},
            statistics=statistics if isinstance(statistics, dict) else {"value": statistics})
    logger.info("run %s (%s) succeeded in %.1fs", run_id, kind, time.monotonic() - started)
    return RunStatus.SUCCEEDED.value


def _describe(error: BaseException) -> str:
    """An error message for the run row (validation errors keep their field paths)."""
    if isinstance(error, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors(include_input=False)]
        return f"invalid parameters: {'; '.join(parts)}"[:4000]
    return f"{type(error).__name__}: {error}"[:4000]


# ----------------------------------------------------------------------------------------------------------------
# Parent side


@dataclass
class JobRunner:
    """Owns the executor; held on `app.state.jobs` by create_app."""

    engine: Engine
    database_url: str
    options: JobSettings
    workers: int
    kinds: dict[str, RunFunctionRef] = field(default_factory=dict)
    kind_roles: dict[str, tuple[Role, ...]] = field(default_factory=dict)
    _executor: Executor | None = None
    _futures: dict[str, Future[str]] = field(default_factory=dict)
    # This process's id among the service processes sharing the database (api.runners); runs it queues carry it.
    runner_id: str = field(default_factory=new_runner_id)

    @classmethod
    def build(
        cls,
        engine: Engine,
        database_url: str,
        workers: int,
        options: JobSettings | None = None,
        extra_run_kinds: Mapping[str, RunFunctionRef] | None = None,
        extra_run_kind_roles: Mapping[str, tuple[Role, ...]] | None = None,
    ) -> JobRunner:
        options = options or JobSettings()
        kinds: dict[str, RunFunctionRef] = {**RUN_KINDS, **SERVICE_RUN_KINDS}
        roles = dict(RUN_KIND_ROLES)
        if options.enable_test_run_kinds:
            kinds.update(TEST_RUN_KINDS)
            roles.update({kind: TEST_RUN_KIND_ROLES for kind in TEST_RUN_KINDS})
        for kind, ref in (extra_run_kinds or {}).items():
            kinds[kind] = ref
            roles[kind] = tuple((extra_run_kind_roles or {}).get(kind, TEST_RUN_KIND_ROLES))
        if options.run_executor == "process" and any(callable(ref) for ref in kinds.values()):
            raise ValueError("callable extra run kinds need run_executor='thread'; give 'module:function' strings")
        return cls(engine=engine, database_url=database_url, options=options, workers=max(1, workers), kinds=kinds,
                   kind_roles={k: normalise_roles(v) for k, v in roles.items()})

    # -- start-up and shutdown

    def register(self) -> None:
        """Record this process as a runner (api.runners), before `mark_interrupted` at start-up."""
        register_runner(self.engine, self.runner_id)

    def mark_interrupted(self, *, own_only: bool = False) -> int:
        """Runs left queued or running by a process that is gone (or, `own_only`, by this one, at shutdown) become
        `interrupted` (resubmit them); a sibling worker's runs are left alone. Returns how many."""
        unfinished = col(RunRow.status).in_([RunStatus.QUEUED.value, RunStatus.RUNNING.value])
        with Session(self.engine) as session:
            if own_only:
                orphaned = col(RunRow.runner_id) == self.runner_id
            else:
                live = live_runner_ids(session, self.runner_id)
                orphaned = or_(col(RunRow.runner_id).is_(None), col(RunRow.runner_id).not_in(live))
            result = session.execute(
                update(RunRow).where(unfinished, orphaned)
                .values(status=RunStatus.INTERRUPTED.value, finished_at=utc_now(),
                        message="the service stopped before this run finished; resubmit it")
            )
            session.commit()
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            logger.warning("marked %d unfinished run(s) as interrupted", count)
        return count

    def _ensure_executor(self) -> Executor:
        if self._executor is None:
            if self.options.run_executor == "process":
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker,
                    initargs=(self.options.worker_nice, os.getpid(), self.options.worker_watchdog_seconds),
                )
            else:
                self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="placeplan-run")
        return self._executor

    def shutdown(self) -> None:
        """Stop accepting work; ask running solves to stop; anything left unfinished is marked interrupted."""
        if self._executor is None:
            return
        pending = [run_id for run_id, future in self._futures.items() if not future.done()]
        with Session(self.engine) as session:
            for run_id in pending:
                if session.get(RunCancellationRow, run_id) is None:
                    session.add(RunCancellationRow(run_id=run_id, requested_by=SHUTDOWN_REQUESTER))
            session.commit()
        deadline = time.monotonic() + self.options.shutdown_grace_seconds
        for run_id in pending:
            future = self._futures[run_id]
            future.cancel()
            with suppress(Exception):  # whatever happened, the row is fixed below
                future.result(timeout=max(0.0, deadline - time.monotonic()))
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None
        self.mark_interrupted(own_only=True)

    # -- submitting and cancelling

    def ensure_available(self, kind: str) -> None:
        """422 problem unless the kind is known and its solver is installed."""
        if kind not in self.kinds:
            raise ProblemError(422, "Unknown run kind", f"unknown run kind {kind!r}: expected one of "
                               f"{', '.join(sorted(self.kinds))}", type_slug="unknown-run-kind",
                               errors=[{"loc": ["body", "kind"], "msg": "unknown run kind", "type": "value_error"}])
        ref = self.kinds[kind]
        if isinstance(ref, str) and importlib.util.find_spec(ref.split(":")[0]) is None:
            raise ProblemError(422, "Run kind not available", f"the {kind!r} solver is not installed in this "
                               "service yet", type_slug="run-kind-unavailable")

    def roles_for(self, kind: str) -> tuple[Role, ...]:
        return self.kind_roles.get(kind, (Role.ADMIN,))

    def submit(self, run_id: str, kind: str) -> None:
        """Queue a stored run for execution."""
        ref = self.kinds[kind]
        database: Engine | str = self.database_url if self.options.run_executor == "process" else self.engine
        future = self._ensure_executor().submit(execute_run, database, run_id, ref, self.options)
        self._futures[run_id] = future
        future.add_done_callback(functools.partial(self._done, run_id))

    def _done(self, run_id: str, future: Future[str]) -> None:
        self._futures.pop(run_id, None)
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            return
        # The worker itself died (e.g. a crash in native code): the run fails, the service carries on.
        logger.error("run %s: worker failed: %s", run_id, type(error).__name__)
        try:
            _finish(self.engine, run_id, status=RunStatus.FAILED.value, error=_describe(error),
                    message="the worker running this solve stopped unexpectedly")
        except Exception:  # noqa: BLE001 - the engine may be gone at shutdown
            logger.exception("could not record the failure of run %s", run_id)
        if isinstance(self._executor, ProcessPoolExecutor) and getattr(self._executor, "_broken", False):
            self._executor = None  # a broken pool cannot take work; the next submit builds a new one

    def cancel(self, session: Session, run: RunRow, requested_by: str) -> None:
        """Queued: cancelled at once. Running: the worker is asked to stop (should_stop() becomes True)."""
        if run.status == RunStatus.QUEUED.value:
            session.execute(
                update(RunRow).where(col(RunRow.id) == run.id, col(RunRow.status) == RunStatus.QUEUED.value)
                .values(status=RunStatus.CANCELLED.value, finished_at=utc_now(), message="cancelled before it started")
            )
        if session.get(RunCancellationRow, run.id) is None:
            session.add(RunCancellationRow(run_id=run.id, requested_by=requested_by))
        session.commit()
        future = self._futures.get(run.id)
        if future is not None:
            future.cancel()

    def future_of(self, run_id: str) -> Future[str] | None:
        """This process's execution of a run while it is queued or running (None otherwise)."""
        return self._futures.get(run_id)

    def wait(self, run_id: str, timeout: float = 30.0) -> None:
        """Block until a run's execution has ended (tests and the CLI)."""
        future = self._futures.get(run_id)
        if future is not None:
            future.result(timeout=timeout)


def is_finished(status: str) -> bool:
    return status in {s.value for s in FINISHED_RUN_STATUSES}


def load_run_for(
    session: Session,
    principal: Principal,
    run_id: str,
    request: Request | None,
    *,
    action: str = "read",
    with_result: bool = True,
    count_learners: bool = False,
) -> RunRow:
    """A run the caller may see, audited: 404 when missing or in a council the caller is not a member of, 403 when
    its kind is not for the caller's role in that council (``api.scoping.run_council``).

    ``with_result=False`` leaves the (possibly large) result column unread; do not touch ``run.result`` then.
    ``count_learners=True`` (the route sends the whole result): the event records how many learners the result
    holds when its kind is learner-level (``api.audit.learners_in_result``). (A status poll is read apart, unaudited:
    ``api.routes.runs._poll``.)
    """
    options = [] if with_result else [defer(RunRow.result)]  # type: ignore[arg-type]
    run = session.get(RunRow, run_id, options=options)
    if run is None:
        raise ProblemError(404, "Not Found", f"no run with id {run_id!r}")
    run_council(principal, run, run_kind_roles(request, run.kind))
    council = council_of_run(run)
    learners = learners_in_result(run.kind, run.result) if count_learners and with_result else None
    record_audit(session, principal, request, action=action, resource_type="run", resource_id=run.id,
                 instance_id=str(council) if council is not None else None,
                 learner_count=learners)  # never touch run.result here: unread (deferred) when polling
    return run


def run_kind_roles(request: Request | None, kind: str) -> tuple[Role, ...]:
    """Who may start, read and cancel runs of `kind` (admin always), as the app's job runner knows them."""
    jobs: JobRunner | None = getattr(request.app.state, "jobs", None) if request is not None else None
    return jobs.roles_for(kind) if jobs is not None else normalise_roles(RUN_KIND_ROLES.get(kind, ()))


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))
