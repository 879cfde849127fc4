"""Health metrics (issue 19, D15): logs of up to 27 body measurements, a weight goal,
and series to chart them.

`metrics` is the one description of the 27 fields (unit, plausible range, label, group,
precision, unit conversion); everything else (the request bodies, the table, the
export, later the photo extraction) reads it rather than repeating it.
"""
