"""Issue 22 (CI time): what the PostgreSQL pass leaves to the SQLite pass, and back
(tests/fixtures/passes.py). Nothing may fall between the two passes: every test runs in
at least one, and every test that touches a database in both, browser tests aside."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import passes
from tests.fixtures.live import live_server


def _item(path: str, fixtures: tuple[str, ...] = (), **module_globals: Any) -> Any:
    module = types.ModuleType("fake_test_module")
    vars(module).update(module_globals)
    return types.SimpleNamespace(path=Path(path), fixturenames=fixtures, module=module)


ITEMS = {
    "engine only": _item("tests/core/test_x.py"),
    "database fixture": _item("tests/habits/test_x.py", ("client", "database_url")),
    "helper imported": _item("tests/ops/test_x.py", live_server=live_server),
    "browser a": _item("tests/e2e/test_today.py", ("page", "e2e_server")),
    "browser b": _item("tests/e2e/test_habits.py", ("page", "e2e_server")),
    "browser c": _item("tests/e2e/test_chat.py", ("page", "e2e_server")),
}


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HABITUS_TEST_SPLIT", "1")


def _runs(pass_name: str) -> set[str]:
    left = passes.left_for_the_other_pass(ITEMS.values(), pass_name)
    return {name for name, item in ITEMS.items() if item not in left}


def test_every_test_runs_in_at_least_one_pass_and_database_tests_in_both(split: None):
    sqlite, postgresql = _runs("sqlite"), _runs("postgresql")

    assert sqlite | postgresql == set(ITEMS)
    assert {"database fixture", "helper imported"} <= sqlite & postgresql
    assert "engine only" in sqlite - postgresql
    for browser in ("browser a", "browser b", "browser c"):
        assert (browser in sqlite) != (browser in postgresql)  # exactly one pass


def test_the_browser_files_are_shared_out_between_the_passes():
    real = sorted(Path(__file__).parent.joinpath("e2e").glob("test_*.py"))
    halves = [passes.browser_pass(str(path)) for path in real]

    assert halves.count("sqlite") >= len(real) // 4
    assert halves.count("postgresql") >= len(real) // 4


def test_without_the_split_every_pass_runs_everything(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("HABITUS_TEST_SPLIT", raising=False)

    assert _runs("postgresql") == set(ITEMS)
    assert _runs("sqlite") == set(ITEMS)
