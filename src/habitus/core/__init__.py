"""The pure domain: rules about days, schedules, streaks and scores.

Nothing here imports SQLAlchemy, FastAPI or the rest of the package, and nothing does
I/O (tests/test_architecture.py checks it), so every rule is tested on plain values.
"""
