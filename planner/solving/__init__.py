"""Solver plumbing shared by every solver, with no knowledge of the domain.

- `progress`: how long work reports progress and learns it should stop (Progress, RunCancelled, ScaledProgress);
- `cpsat`: CP-SAT status names, a stop-when-asked callback and the relative gap every solver reports;
- `model_proto`: one builder of MathOpt ModelProto models from arrays (fast at county size).

Imports nothing else from this project.
"""
