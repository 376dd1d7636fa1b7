"""Reader for OR-Library generalised assignment (GAP) files (Beasley; Osman's type C instances gap1..gap4).

Format: `m n`; then m rows of n costs c_ij (agent i, job j); then m rows of n resource uses a_ij; then one row of m
capacities b_i. Numbers may wrap over lines, so the file is read as one stream of integers.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from planner.transitions.gap import GapProblem, Sense


class GapFileError(ValueError):
    """A GAP file that does not match the OR-Library format; the message says what was expected."""


class GapInstance(BaseModel):
    """A GAP instance as agents x jobs matrices."""

    model_config = ConfigDict(frozen=True)

    name: str
    costs: tuple[tuple[int, ...], ...]  # [agent][job]
    uses: tuple[tuple[int, ...], ...]  # [agent][job]
    capacities: tuple[int, ...]  # [agent]

    @property
    def agents(self) -> int:
        return len(self.capacities)

    @property
    def jobs(self) -> int:
        return len(self.costs[0]) if self.costs else 0


def parse_gap(text: str, name: str = "gap") -> GapInstance:
    """Parse the text of one OR-Library GAP instance."""
    try:
        numbers = [int(token) for token in text.split()]
    except ValueError as error:
        raise GapFileError(f"{name}: every value must be an integer ({error})") from None
    if len(numbers) < 2:
        raise GapFileError(f"{name}: expected 'm n' (agents, jobs) at the start")
    m, n = numbers[0], numbers[1]
    if m <= 0 or n <= 0:
        raise GapFileError(f"{name}: agents and jobs must be positive, got m={m} n={n}")
    expected = 2 + 2 * m * n + m
    if len(numbers) != expected:
        raise GapFileError(f"{name}: expected {expected} integers for m={m}, n={n} (2 + 2*m*n + m), "
                           f"found {len(numbers)}")
    body = numbers[2:]
    costs = tuple(tuple(body[i * n:(i + 1) * n]) for i in range(m))
    offset = m * n
    uses = tuple(tuple(body[offset + i * n:offset + (i + 1) * n]) for i in range(m))
    capacities = tuple(body[2 * m * n:])
    return GapInstance(name=name, costs=costs, uses=uses, capacities=capacities)


def read_gap(path: Path) -> GapInstance:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise GapFileError(f"cannot read {path}: {error.strerror or error}") from None
    return parse_gap(text, name=path.stem)


def gap_problem_from_instance(instance: GapInstance, sense: Sense = "min") -> GapProblem:
    """An OR-Library instance (agents x jobs) as a GapProblem (jobs x agents, one resource)."""
    return GapProblem(
        costs=[[instance.costs[a][j] for a in range(instance.agents)] for j in range(instance.jobs)],
        uses=[[[instance.uses[a][j]] for a in range(instance.agents)] for j in range(instance.jobs)],
        capacities=[[c] for c in instance.capacities],
        sense=sense,
    )
