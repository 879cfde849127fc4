"""The rules of DESIGN.md that code review alone would let slip."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import configure_mappers

from habitus.http.dependencies import get_session
from habitus.http.routing import TransactionalRoute
from habitus.main import create_app
from habitus.models import Base

SRC = Path(__file__).resolve().parents[1] / "src" / "habitus"
# Where a transaction may end: the request/job boundary (db.py) and, later, the worker.
COMMIT_ALLOWED = {SRC / "db.py"}


def _python_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "static" not in path.parts)


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_core_is_pure():
    """DESIGN.md: core/ imports nothing from SQLAlchemy, FastAPI or the rest of the package,
    only the standard library and itself."""
    offenders = {}
    for path in _python_files(SRC / "core"):
        for module in _imported_modules(path):
            top = module.split(".")[0]
            if module.startswith("habitus.core") or top in sys.stdlib_module_names:
                continue
            if top == "__future__":
                continue
            offenders.setdefault(path.name, []).append(module)
    assert offenders == {}


def test_nothing_commits_outside_the_boundary():
    """DESIGN.md: services flush, never commit; only db.py (and the worker) commits."""
    offenders = []
    for path in _python_files(SRC):
        if path in COMMIT_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_relationships_never_lazy_load():
    """DESIGN.md: relationships are lazy="raise"; what a query needs is loaded explicitly."""
    configure_mappers()
    lazy = [
        f"{mapper.class_.__name__}.{relationship.key}"
        for mapper in Base.registry.mappers
        for relationship in mapper.relationships
        if relationship.lazy != "raise"
    ]
    assert lazy == []


def _api_routes(app: FastAPI) -> list[tuple[str, set[str], APIRoute]]:
    """(full path, methods, route) of every FastAPI route, those of included routers too.

    FastAPI nests included routers instead of copying their routes into `app.routes`,
    so walking `app.routes` alone would see none of them and check nothing.
    """
    found = [
        (str(context.path), set(context.methods or ()), context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert len(found) > 10, "the route walk found too few routes to be checking anything"
    return found


def _dependency_calls(route: APIRoute) -> set[object]:
    found: set[object] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        if dependant.call is not None:
            found.add(dependant.call)
        pending.extend(dependant.dependencies)
    return found


def test_every_route_with_a_session_runs_in_the_request_transaction():
    """DESIGN.md: the request boundary commits; a route that uses the database must be a
    TransactionalRoute, or its writes would never be committed (or rolled back)."""
    routes = _api_routes(create_app())
    with_session = [path for path, _, route in routes if get_session in _dependency_calls(route)]
    assert "/api/v1/me" in with_session  # the walk sees dependencies at all
    missing = [
        f"{sorted(methods)} {path}"
        for path, methods, route in routes
        if get_session in _dependency_calls(route) and not isinstance(route, TransactionalRoute)
    ]
    assert missing == []


# Auth endpoints answer with secrets (tokens) or are naturally idempotent; replaying a
# stored answer to whoever repeats a key would be worse than running them again.
IDEMPOTENCY_EXEMPT = {
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/token",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    # One-time codes (issue 20): no user yet to key a replay on; a code works once.
    "/api/v1/auth/verify",
    "/api/v1/auth/verify/resend",
    # Passkey ceremonies (issue 20): each answers a single-use challenge, so a repeat
    # must be refused, not replayed (and a sign-in's answer holds tokens).
    "/api/v1/auth/passkeys/register/options",
    "/api/v1/auth/passkeys/register",
    "/api/v1/auth/passkeys/login/options",
    "/api/v1/auth/passkeys/login",
    # A new personal access token (issue 20): the answer is the secret, shown once; a
    # replay cache would keep it.
    "/api/v1/me/tokens",
}


def test_every_api_post_accepts_an_idempotency_key():
    """API.md Idempotency: every POST accepts an Idempotency-Key (auth endpoints aside)."""
    from habitus.auth.dependencies import (
        _idempotency_optional,
        _idempotency_required,
        _idempotency_required_at_end,
    )

    guards = {_idempotency_optional, _idempotency_required, _idempotency_required_at_end}
    posts = [
        (path, route)
        for path, methods, route in _api_routes(create_app())
        if "POST" in methods and path.startswith("/api/") and path not in IDEMPOTENCY_EXEMPT
    ]
    assert any(path == "/api/v1/admin/invites" for path, _ in posts)
    missing = [path for path, route in posts if not guards & _dependency_calls(route)]
    assert missing == []


def test_no_naive_datetime_calls_in_src():
    """DESIGN.md: naive datetimes are bugs; "now" is read only through kit.clock."""
    offenders = []
    for path in _python_files(SRC):
        if path == SRC / "kit" / "clock.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"now", "utcnow", "today"}
                and isinstance(node.func.value, ast.Name | ast.Attribute)
                and getattr(node.func.value, "id", getattr(node.func.value, "attr", ""))
                in {"datetime", "date"}
            ):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


# --- issue 12: one extension point, no cycles between packages -----------------------------

# Feature packages: what a person uses. Everything else is the foundation they stand on
# (core, kit, errors, config, db, models, context, http, events, registry, mailer ...) or
# the composition root that ties them (wiring, main, cli, worker).
FEATURES = frozenset(
    {"admin", "analytics", "auth", "breaks", "exports", "habits", "imports", "insights"}
    | {"chat", "coach", "gamification", "health", "plans", "reminders", "social", "web"}
    | {"metrics"}
)
ROOT = frozenset({"wiring", "main", "cli", "worker"})


def _runtime_imports(path: Path) -> set[str]:
    """Modules `path` imports when it runs: `if TYPE_CHECKING:` blocks left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def _package_of(path: Path) -> str:
    relative = path.relative_to(SRC)
    return relative.parts[0].removesuffix(".py")


def _package_graph() -> dict[str, dict[str, list[str]]]:
    """package -> package it imports -> the files that do."""
    packages = {_package_of(path) for path in _python_files(SRC)}
    graph: dict[str, dict[str, list[str]]] = {}
    for path in _python_files(SRC):
        source = _package_of(path)
        if source == "__init__":
            continue
        for module in _runtime_imports(path):
            parts = module.split(".")
            if parts[0] != "habitus" or len(parts) < 2 or parts[1] not in packages:
                continue
            target = parts[1]
            if target != source:
                graph.setdefault(source, {}).setdefault(target, []).append(
                    str(path.relative_to(SRC))
                )
    return graph


def test_no_import_cycle_between_packages():
    """Issue 12: no two packages import each other, directly or round a longer loop
    (features, foundation and root alike), so each can be read and changed knowing
    only what is below it."""
    graph = _package_graph()
    cycles = []
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, {})):
            if state.get(target) == 1:
                loop = [*path[path.index(target) :], target]
                cycles.append(
                    " -> ".join(loop)
                    + "  ("
                    + "; ".join(sorted(set(graph[loop[-2]][loop[-1]])))
                    + ")"
                )
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_no_feature_calls_another_features_service():
    """Issue 12: a feature reacts to another's writes through events and asks another for
    a command through a port, both wired in habitus/wiring.py; it never imports another
    feature's `service` (its repository, queries or pure helpers, for reading, are fine)."""
    offenders = []
    for path in _python_files(SRC):
        source = _package_of(path)
        if source not in FEATURES:
            continue
        for module in _runtime_imports(path):
            parts = module.split(".")
            if (
                len(parts) >= 3
                and parts[0] == "habitus"
                and parts[1] in FEATURES
                and parts[1] != source
                and parts[2] == "service"
            ):
                offenders.append(f"{path.relative_to(SRC)} imports {module}")
    assert sorted(set(offenders)) == []


def test_the_foundation_imports_no_feature():
    """Issue 12: below the features nothing knows them (the registry holds reactions
    without importing who registered them)."""
    graph = _package_graph()
    offenders = {
        f"{source} -> {target}: {sorted(set(files))}"
        for source, targets in graph.items()
        if source not in FEATURES and source not in ROOT
        for target, files in targets.items()
        if target in FEATURES
    }
    assert offenders == set()


_DESCRIBE = (
    "import json; from habitus.registry import registry; print(json.dumps(registry.describe()))"
)
ENTRY_POINTS = {
    "app": (
        "from habitus.config import Settings; from habitus.main import create_app; "
        "create_app(Settings(database_url='sqlite+aiosqlite:///{db}', data_dir='{data}', "
        "environment='test', secret_key='x' * 40))"
    ),
    "cli": (
        "from typer.testing import CliRunner; from habitus.cli import app; "
        "result = CliRunner().invoke(app, ['version']); assert result.exit_code == 0"
    ),
    # The `habitus import` path alone once left the reactions empty (issue 12).
    "import command": (
        "import habitus.imports.commands; from typer.testing import CliRunner; "
        "from habitus.cli import app; "
        "result = CliRunner().invoke(app, ['import', '/nonexistent.db', '--user', 'a@b.c']); "
        "assert result.exit_code != 0"
    ),
    "worker": (
        "import os; os.environ['HABITUS_DATABASE_URL'] = 'sqlite+aiosqlite:///{db}'; "
        "os.environ['HABITUS_DATA_DIR'] = '{data}'; "
        "from typer.testing import CliRunner; from habitus.cli import app; "
        "result = CliRunner().invoke(app, ['worker', '--once']); "
        "assert result.exit_code == 0, result.output"
    ),
}


@pytest.mark.slow
def test_every_entry_point_wires_the_same_reactions(tmp_path: Path):
    """Issue 12: the registry of reactions is the same whether the process is the web app,
    a CLI command (the import included) or the worker, each in a fresh interpreter."""
    import json
    import subprocess

    described = {}
    for name, code in ENTRY_POINTS.items():
        folder = tmp_path / name.replace(" ", "-")
        folder.mkdir()
        script = code.format(db=folder / "habitus.db", data=folder) + "; " + _DESCRIBE
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"PATH": "/usr/bin:/bin", "HABITUS_LOG_LEVEL": "WARNING"},
        )
        assert done.returncode == 0, (name, done.stderr[-3000:])
        described[name] = json.loads(done.stdout.strip().splitlines()[-1])
    first = described["app"]
    for part in ("subscriptions", "jobs", "consumers", "ports", "page_extras"):
        assert first[part], part
    for name, table in described.items():
        assert table == first, name


def test_no_model_is_ever_unpickled():
    """D14.2 (issue 18): a model is stored as its coefficients (JSON), never as a pickle:
    no module of the app imports pickle, joblib, dill or cloudpickle, or calls a loader
    that unpickles (numpy's allow_pickle, torch.load)."""
    banned_modules = {"pickle", "cPickle", "_pickle", "joblib", "dill", "cloudpickle", "shelve"}
    found = []
    for path in _python_files(SRC):
        text = path.read_text(encoding="utf-8")
        imported = {module.split(".")[0] for module in _runtime_imports(path)}
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                imported |= {name.split(".")[0] for name in names}
        if imported & banned_modules:
            found.append(f"{path.relative_to(SRC)} imports {sorted(imported & banned_modules)}")
        if "allow_pickle=True" in text or "torch.load" in text:
            found.append(f"{path.relative_to(SRC)} unpickles")
    assert found == []
