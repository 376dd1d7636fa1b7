"""The domain: what a council's SEND provision and caseload are, independent of any solver.

- `models`: frozen pydantic models (Instance, Setting, Learner, Locality, OutreachTeam, ...) and integrity checks;
- `codes`: code tables (primary need, phase, setting kind and status) and the maps from GIAS/SEN2 wording;
- `calendar`: academic years and national curriculum years;
- `travel`: journey time estimates, the travel matrix lookup and the journey limit rule (default limits by phase).

Imports nothing else from this project.
"""
