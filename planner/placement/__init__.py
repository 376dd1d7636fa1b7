"""Placement rounds: a setting proposed for every learner in a round, exactly, with reasons.

- `round`: who is placed in a round and how many places are free;
- `params`: the round's parameters (hard rules' settings, objective order);
- `eligibility`: which (learner, setting) pairs are allowed, with a reason for each excluded pair (need,
  phase, journey limit);
- `objective`: rule values per arc and their exact lexicographic composition;
- `flow`: the exact min-cost flow core; `siblings`: sibling groups placed together;
- `matching`: `place` and `run_placement`, the entry points; `plan`: the result models;
- `explain`: reasons a family can read, and the best settings for one learner.

May import `planner.domain` and `planner.solving`.
"""
