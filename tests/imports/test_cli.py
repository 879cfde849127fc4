"""`habitus import FILE --user EMAIL` (issue 5, "Import"): a real process, a real database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.fixtures.files import present
from tests.fixtures.live import habitus_env, run_cli
from tests.imports.loopfiles import FIXTURES, LoopHabit, loop_db

# Every test starts `habitus` processes: slow tests run first (tests/conftest.py).
pytestmark = pytest.mark.slow


def _ready(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = habitus_env(database_url, tmp_path)
    made = run_cli("create-admin", "dana@example.org", "--password", "a sturdy passphrase", env=env)
    assert made.returncode == 0, made.stderr
    return env


def test_import_from_the_command_line(fresh_database_url: str, tmp_path: Path):
    """Issue 5: `habitus import FILE --user EMAIL` imports like POST /import, prints the
    counts and the report; the same file again creates nothing."""
    env = _ready(fresh_database_url, tmp_path)
    backup = tmp_path / "Loop Habits Backup 2020-01-05.db"
    loop_db(
        backup,
        [
            LoopHabit("Walk", reps=[(date(2020, 1, 1), 2, None), (date(2020, 1, 2), 2, None)]),
            LoopHabit("Gym", 5, 10),
        ],
    )
    first = run_cli("import", str(backup), "--user", "dana@example.org", env=env)
    assert first.returncode == 0, first.stderr
    assert "2 habits created, 2 entries created, 0 skipped" in first.stderr
    assert "'Gym' 5 times in 10 days became 4 times a week" in first.stderr
    again = run_cli(
        "import", str(backup), "--user", "dana@example.org", "--format", "loop_db", env=env
    )
    assert again.returncode == 0, again.stderr
    assert "0 habits created, 0 entries created" in again.stderr
    assert "already imported" in again.stderr


def test_cli_refusals_exit_1(fresh_database_url: str, tmp_path: Path):
    """Issue 5: an unknown account, a foreign file or Loop's schema 12: exit code 1 and
    the reason."""
    env = _ready(fresh_database_url, tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    result = run_cli(
        "import", str(text), "--user", "dana@example.org", "--format", "loop_db", env=env
    )
    assert result.returncode == 1
    assert "not a Loop backup" in result.stderr
    backup = tmp_path / "b.db"
    loop_db(backup, [LoopHabit("Walk")])
    result = run_cli("import", str(backup), "--user", "nobody@example.org", env=env)
    assert result.returncode == 1
    assert "no account with the address nobody@example.org" in result.stderr
    # The real schema-12 backup: left out where the shared fixtures are not found.
    if present(FIXTURES, "the real Loop files (../shared/fixtures/loop/)"):
        old = run_cli("import", str(FIXTURES / "loop.db"), "--user", "dana@example.org", env=env)
        assert old.returncode == 1
        assert "schema version 12 is not supported" in old.stderr
