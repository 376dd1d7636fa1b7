"""Reading the SEN2 person-level return (the statutory EHC plan return councils make every January) into learners.

Import from the submodules (nothing is re-exported here):

- `planner.io.sen2.reader.read_sen2`: a folder of module CSVs (COLLECT Blade export or plain names), one XML file,
  or a zip of either -> `Sen2Import` (learners with an active plan on the census date, their main placements);
- `planner.io.sen2.rules`: the numbered validation rules (SEN2-001...), with their table and sources;
- `planner.io.sen2.schema`: module, field and code names, each with its source;
- `planner.io.sen2.model`: `Sen2Import`, `PlacementRef`, and the `Sen2Person` records the writer takes;
- `planner.io.sen2.writer`: writes returns in the layouts the reader reads (test data, benchmarks).
"""
