"""CP-SAT plumbing every CP-SAT solver here shares: status names, stopping when asked, the relative gap."""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

STATUS_NAMES = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
    cp_model.UNKNOWN: "UNKNOWN",
}


def relative_gap(objective: float, bound: float) -> float:
    """|objective - bound| / max(1, |objective|): 0 when proven optimal."""
    return abs(objective - bound) / max(1.0, abs(objective))


class StopWhenAsked(cp_model.CpSolverSolutionCallback):
    """Stops CP-SAT at the next solution once `should_stop()` is True (cancellation of a run)."""

    def __init__(self, should_stop: Callable[[], bool]) -> None:
        super().__init__()
        self._should_stop = should_stop
        self.stopped = False

    def on_solution_callback(self) -> None:
        if self._should_stop():
            self.stopped = True
            self.stop_search()
