"""The `habitus` command line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console

from habitus import __version__
from habitus.config import Settings

app = typer.Typer(
    name="habitus",
    help="Habitus: a self-hostable habit tracker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


@app.callback()
def _wire() -> None:
    """Every command, like the web app and the worker, runs with the same reactions to
    writes: the composition root fills the registry before the command starts."""
    from habitus.wiring import register_all

    register_all()


def _settings() -> Settings:
    from habitus.config import SettingsError

    try:
        return Settings()
    except (SettingsError, ValueError) as error:
        console.print(f"[red]Configuration error:[/red] {error}")
        raise typer.Exit(2) from error


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Processes; more than 1 wants HABITUS_REDIS_URL.")
    ] = 1,
) -> None:
    """Serve the web app and the API (migrating the database first unless
    HABITUS_AUTO_MIGRATE=false)."""
    from habitus.kit.logging import configure_logging

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.auto_migrate and workers > 1:
        # Migrate once here rather than racing in every worker.
        from habitus.migrations_runner import upgrade

        upgrade(settings.database_url)
        os.environ["HABITUS_AUTO_MIGRATE"] = "false"
    if workers > 1 and not settings.redis_url:
        # Issue 22: without Redis a process cannot tell the others of a revoked sign-in,
        # so none keeps verified sign-ins (auth/signin_cache.py).
        os.environ["HABITUS_AUTH_CACHE_SECONDS"] = "0"
    structlog.get_logger("habitus.cli").info(
        "serving", version=__version__, url=f"http://{host}:{port}", workers=workers
    )
    from habitus.kit import prometheus

    # Several processes share the port: /metrics sums them all (kit/prometheus.py).
    shared_metrics: contextlib.AbstractContextManager[None] = (
        prometheus.shared_across_processes() if workers > 1 else contextlib.nullcontext()
    )
    with shared_metrics:
        _run_uvicorn(host, port, workers, settings)


def _run_uvicorn(host: str, port: int, workers: int, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "habitus.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_config=None,
        access_log=False,
        server_header=False,
        # Issue 22: on SIGTERM, requests in flight get this long to finish; after it
        # uvicorn cancels them (its default waits for ever).
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
    )


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations (creates the SQLite file when needed)."""
    from habitus.db import create_engine
    from habitus.kit.logging import configure_logging
    from habitus.migrations_runner import current_revision, head_revision, upgrade

    settings = _settings()
    configure_logging("WARNING", settings.log_format)
    # Opening the engine once creates the SQLite file and turns WAL on.
    engine = create_engine(settings.database_url)

    async def read_revision() -> str | None:
        async with engine.connect() as connection:
            found = await connection.run_sync(current_revision)
        await engine.dispose()
        return found

    before = asyncio.run(read_revision())
    upgrade(settings.database_url, revision)
    target = head_revision() if revision == "head" else revision
    if before == target:
        console.print(f"Database already at {target}.")
    else:
        console.print(f"Database migrated: {before or 'empty'} → {target}.")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Argument(help="The administrator's email address.")],
    password: Annotated[
        str | None,
        typer.Option(
            envvar="HABITUS_ADMIN_PASSWORD",
            help="Password (asked for when omitted; env HABITUS_ADMIN_PASSWORD).",
        ),
    ] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in the app.")] = None,
) -> None:
    """Create an administrator, or make an existing user one."""
    from habitus.auth.commands import make_admin
    from habitus.kit.logging import configure_logging
    from habitus.migrations_runner import upgrade

    settings = _settings()
    configure_logging("WARNING", settings.log_format)
    upgrade(settings.database_url)
    existing = asyncio.run(_user_exists(settings, email))
    if password is None and not existing:
        if not sys.stdin.isatty():
            console.print("[red]No password:[/red] pass --password or HABITUS_ADMIN_PASSWORD.")
            raise typer.Exit(2)
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        outcome = asyncio.run(
            make_admin(settings, email=email, password=password, display_name=display_name)
        )
    except ValueError as error:
        console.print(f"[red]Not done:[/red] {error}")
        raise typer.Exit(1) from error
    console.print(outcome)


@app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The file.")
    ],
    user: Annotated[str, typer.Option("--user", help="Email address of the account.")],
    file_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="loop_db, loop_csv, habitus_json or habitbull_csv (guessed when omitted).",
        ),
    ] = None,
) -> None:
    """Import a Loop backup or CSV export, a Habitus export or a HabitBull CSV into an
    account (checked whole before anything is written, then written in short steps; the same
    file again creates nothing and completes an import that was cut short)."""
    from rich.progress import Progress
    from rich.text import Text

    from habitus.imports.commands import ImportFailed, import_for
    from habitus.kit.logging import configure_logging
    from habitus.migrations_runner import upgrade

    settings = _settings()
    configure_logging("WARNING", settings.log_format)
    upgrade(settings.database_url)
    data = file.read_bytes()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"Importing {file.name}", total=None)

        def advance(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=f"Importing: {what}")

        try:
            result = asyncio.run(
                import_for(settings, email=user, data=data, fmt=file_format, progress=advance)
            )
        except ImportFailed as error:
            console.print(Text.assemble(("Not imported: ", "red"), str(error)), soft_wrap=True)
            raise typer.Exit(1) from error
    console.print(
        f"Imported {file.name} ({result.format}): {result.habits_created} habits created, "
        f"{result.entries_created} entries created, {result.entries_skipped} skipped.",
        soft_wrap=True,
        markup=False,
    )
    for note in result.report:
        console.print(f"  - {note}", soft_wrap=True, markup=False)


@app.command("rebuild-summaries")
def rebuild_summaries(
    user: Annotated[
        str | None, typer.Option("--user", help="Only this user's habits (email).")
    ] = None,
) -> None:
    """Recompute every daily and monthly summary from raw entries and list each row
    that differed (a repair tool; exit code 0 either way)."""
    from habitus.analytics.commands import rebuild
    from habitus.kit.logging import configure_logging
    from habitus.migrations_runner import upgrade

    settings = _settings()
    configure_logging("WARNING", settings.log_format)
    upgrade(settings.database_url)
    try:
        done = asyncio.run(rebuild(settings, email=user))
    except ValueError as error:
        console.print(f"[red]Not done:[/red] {error}")
        raise typer.Exit(1) from error
    for email, difference in done.differences:
        typer.echo(
            f"{email} habit {difference.habit_id} {difference.table} "
            f"{difference.key.isoformat()}: stored {difference.stored} "
            f"!= expected {difference.expected}"
        )
    typer.echo(
        f"Rebuilt the summaries of {done.habits} habits of {done.users} users: "
        f"{len(done.differences)} rows differed and were fixed."
    )


@app.command("rotate-chat-keys")
def rotate_chat_keys(
    batch: Annotated[int, typer.Option("--batch", min=1, help="Messages per transaction.")] = 500,
) -> None:
    """Re-encrypt every chat message with the newest key of HABITUS_CHAT_KEYS (or
    data/chat.keys), in small transactions; safe while the app runs. Put the new key
    first, restart the app, run this, then drop the old key."""
    from habitus.chat.commands import rotate
    from habitus.kit.logging import configure_logging
    from habitus.migrations_runner import upgrade

    settings = _settings()
    configure_logging("WARNING", settings.log_format)
    upgrade(settings.database_url)
    done = asyncio.run(rotate(settings, batch=batch))
    typer.echo(f"Re-encrypted {done.messages} messages with the newest chat key.")
    if done.unreadable:
        typer.echo(
            f"{len(done.unreadable)} messages no configured key opens (left as they are): "
            + ", ".join(str(message_id) for message_id in done.unreadable[:20])
        )
        raise typer.Exit(1)


@app.command("train")
def train_user(
    user: Annotated[str, typer.Option("--user", help="The account's email.")],
) -> None:
    """Retrain a user's prediction model now (D14.2; the worker also does it after every
    20 completions). Too little data: the baseline answers, and this says so."""
    from habitus.coach.commands import train
    from habitus.kit.logging import configure_logging
    from habitus.migrations_runner import upgrade

    settings = _settings()
    configure_logging("WARNING", settings.log_format)
    upgrade(settings.database_url)
    done = asyncio.run(train(settings, user))
    if not done.found:
        typer.echo(f"No account with the email {user}.", err=True)
        raise typer.Exit(1)
    if done.model == "baseline":
        typer.echo(
            "Too little data to train yet (30 required days, both done and missed): "
            "predictions use the baseline."
        )
    else:
        typer.echo(f"Trained on {done.samples} days; predictions use the new model.")


@app.command()
def backup(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            file_okay=False,
            help="Folder for the backup (default: HABITUS_BACKUP_DIR, else <data dir>/backups).",
        ),
    ] = None,
) -> None:
    """Back up the database (SQLite's online backup, or pg_dump) and the data directory's
    secrets (signing, chat and push keys) into one timestamped file, readable by you alone.
    Safe while the app runs."""
    from rich.text import Text

    from habitus.backups.commands import Refused, take_backup

    # No configure_logging here or in `restore`: Python's default (warnings to stderr) is
    # what these need, and they speak through their own output.
    settings = _settings()
    try:
        made = asyncio.run(take_backup(settings, output))
    except Refused as error:
        console.print(Text.assemble(("No backup: ", "red"), str(error)), soft_wrap=True)
        raise typer.Exit(1) from error
    typer.echo(f"{made.path} ({_size(made.size)})")


@app.command()
def restore(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The backup.")
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the contents of a database that has data.")
    ] = False,
) -> None:
    """Restore a backup made by `habitus backup` into the configured database (of the same
    kind) and its secrets into the data directory, then migrate it to this version's schema.
    Stop the app and its workers first."""
    from rich.text import Text
    from sqlalchemy.engine import make_url

    from habitus.backups.commands import DIALECT_WORDS, Refused, plan_restore
    from habitus.backups.commands import restore as restore_backup

    settings = _settings()
    try:
        plan = asyncio.run(plan_restore(settings, file, force=force))
    except Refused as error:
        console.print(Text.assemble(("Not restored: ", "red"), str(error)), soft_wrap=True)
        raise typer.Exit(1) from error
    made = plan.manifest
    target = make_url(settings.database_url).render_as_string(hide_password=True)
    question = (
        f"Restore {file.name} ({DIALECT_WORDS[made.dialect]}, made {made.created_at.isoformat()}"
        f" by Habitus {made.app_version or '?'}) into {target}"
        + (", replacing everything in it?" if plan.replaces else "?")
    )
    if not yes and not typer.confirm(question, default=False):
        console.print("Nothing restored.")
        raise typer.Exit(1)
    try:
        done = asyncio.run(restore_backup(settings, plan))
    except Refused as error:
        console.print(Text.assemble(("Restore failed: ", "red"), str(error)), soft_wrap=True)
        raise typer.Exit(1) from error
    typer.echo(f"Restored {file.name} into {target}.")
    if done.migrated_to:
        typer.echo(f"Migrated from {made.revision} to {done.migrated_to}.")
    for note in done.notes:
        typer.echo(f"  - {note}")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value, unit = size / 1024, "KiB"
    for larger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.1f} {unit}"


@app.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="One pass over every job, then exit.")
    ] = False,
) -> None:
    """Run the app's background worker in this process: fire due reminders, send due
    deliveries, feed the event log's consumers (webhooks ...), housekeeping. Any number of
    workers may run at once (web processes then set HABITUS_RUN_WORKER=false)."""
    from habitus import worker as app_worker
    from habitus.db import create_engine, create_sessionmaker
    from habitus.kit import tracing
    from habitus.kit.logging import configure_logging
    from habitus.migrations_runner import upgrade

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.auto_migrate:
        upgrade(settings.database_url)
    if settings.worker_metrics_port is not None and not once:
        # Issue 22: the dead-letter and lateness alerts read the worker's own counts.
        from habitus.kit.prometheus import serve_worker_metrics

        serve_worker_metrics(settings.worker_metrics_port, settings.worker_metrics_host)

    async def main() -> None:
        engine = create_engine(
            settings.database_url, lock_timeout_seconds=settings.lock_timeout_seconds
        )
        # Issue 22: a span per job run (and its SQL and sends), resource role "worker".
        traces = tracing.start(settings, role="worker") if settings.otel_enabled else None
        if traces is not None:
            traces.instrument_engine(engine)
        maker = create_sessionmaker(engine)
        try:
            if once:
                found = await app_worker.run_once(maker, settings, app_worker.worker_name())
                typer.echo(
                    f"fired {found.get('reminders.fire', 0)} reminders, "
                    f"handled {found.get('reminders.deliver', 0)} deliveries, "
                    f"read {found.get('events.consumers', 0)} events"
                )
            else:
                # SIGTERM lets in-flight deliveries finish (issue 22).
                await app_worker.run_until_signalled(maker, settings)
        finally:
            await engine.dispose()
            if traces is not None:
                # Sends the spans still buffered: a blocking POST (at most the exporter's
                # timeout, 10 s, when the collector is down), kept off the event loop.
                await asyncio.to_thread(traces.shutdown)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


async def _user_exists(settings: Settings, email: str) -> bool:
    from habitus.auth import repository
    from habitus.db import create_engine, create_sessionmaker

    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await repository.user_by_email(session, email) is not None
    finally:
        await engine.dispose()


if __name__ == "__main__":  # pragma: no cover
    app()
