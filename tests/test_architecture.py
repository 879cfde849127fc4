"""The rules of DESIGN.md that code review alone would let slip."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import configure_mappers

from habitus.auth.dependencies import get_session
from habitus.kit.routing import TransactionalRoute
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
}


def test_every_api_post_accepts_an_idempotency_key():
    """API.md Idempotency: every POST accepts an Idempotency-Key (auth endpoints aside)."""
    from habitus.auth.dependencies import _idempotency_optional, _idempotency_required

    guards = {_idempotency_optional, _idempotency_required}
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
