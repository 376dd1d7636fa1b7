"""How long-running work reports progress and learns it should stop.

Solvers take a `Progress`; the CLI shows it as a Rich progress bar, the API stores it on the run row, and
cancellation (DELETE on a run) makes `should_stop()` return True so the solver stops promptly.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def report(self, fraction: float, message: str) -> None:
        """Record that `fraction` (0..1) of the work is done, with a short human message."""

    def should_stop(self) -> bool:
        """True once the user has asked to cancel: stop at the next safe point."""


class NullProgress:
    """Progress that goes nowhere and never stops (library use and tests)."""

    def report(self, fraction: float, message: str) -> None:
        return None

    def should_stop(self) -> bool:
        return False


class ScaledProgress:
    """A sub-task's progress 0..1 mapped into [low, high] of its parent's; stopping passes straight through."""

    def __init__(self, parent: Progress, low: float, high: float) -> None:
        self.parent, self.low, self.high = parent, low, high

    def report(self, fraction: float, message: str) -> None:
        self.parent.report(self.low + (self.high - self.low) * fraction, message)

    def should_stop(self) -> bool:
        return self.parent.should_stop()


class RunCancelled(Exception):
    """Raised by a solver that stopped because `should_stop()` became True."""
