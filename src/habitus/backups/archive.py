"""The backup file: its name, its manifest, and the tar that holds both with the dump
and the secrets. Written to a private temporary name and renamed into place, so a
failure never leaves half a backup where a good one is expected."""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from habitus.kit import clock

FORMAT = "habitus-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
SECRETS_FOLDER = "secrets"
# Files of the data directory a restored database needs (tests/ops/test_backup.py checks
# these names against the modules that own them, which this foundation cannot import):
# the signing key (tokens, sealed reset links, health photos), the chat keys (message
# bodies are encrypted at rest) and the Web Push key pair (every browser subscription is
# bound to it). Settings given in the environment instead (HABITUS_SECRET_KEY,
# HABITUS_CHAT_KEYS) are not files: the operator keeps those with the backups.
SECRET_FILES = ("secret_key", "chat.keys", "vapid_private.pem")
SUFFIX = ".tar.gz"
_NAME = re.compile(r"^habitus-(\d{8}T\d{6}Z)(?:-(\d+))?\.tar\.gz$")
_STAMP = "%Y%m%dT%H%M%SZ"


class BadBackup(Exception):
    """The file is not a backup this code can read (a message fit for an operator)."""


@dataclass(frozen=True, slots=True)
class Manifest:
    dialect: str
    revision: str
    created_at: datetime
    app_version: str
    secrets: tuple[str, ...]
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "format_version": self.format_version,
                "dialect": self.dialect,
                "alembic_revision": self.revision,
                "created_at": self.created_at.isoformat(),
                "app_version": self.app_version,
                "database_file": DUMP_NAMES[self.dialect],
                "secrets": list(self.secrets),
            },
            indent=2,
        ).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            found = json.loads(data)
            if found.get("format") != FORMAT:
                raise BadBackup("its manifest is not a Habitus backup's")
            version = int(found["format_version"])
            if version > FORMAT_VERSION:
                raise BadBackup(
                    f"it is in backup format {version}, newer than this version of Habitus "
                    f"reads ({FORMAT_VERSION}): upgrade Habitus first"
                )
            dialect = str(found["dialect"])
            if dialect not in DUMP_NAMES:
                raise BadBackup(f"it holds a database of an unknown kind ({dialect!r})")
            return cls(
                dialect=dialect,
                revision=str(found["alembic_revision"]),
                created_at=datetime.fromisoformat(found["created_at"]),
                app_version=str(found.get("app_version", "")),
                secrets=tuple(name for name in found.get("secrets", []) if name in SECRET_FILES),
                format_version=version,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BadBackup(f"its manifest cannot be read ({error})") from error


# --- names -------------------------------------------------------------------------


def backup_name(when: datetime, counter: int = 0) -> str:
    stamp = when.astimezone(UTC).strftime(_STAMP)
    return f"habitus-{stamp}{f'-{counter}' if counter else ''}{SUFFIX}"


def taken_at(path: Path) -> tuple[datetime, int] | None:
    """When a backup named by `backup_name` was taken (and its counter), or None for any
    other file: retention only ever counts and deletes files with such names."""
    match = _NAME.match(path.name)
    if match is None:
        return None
    when = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
    return when, int(match.group(2) or 0)


def backups_in(folder: Path) -> list[Path]:
    """The backups in `folder`, oldest first."""
    if not folder.is_dir():
        return []
    found = [(stamp, path) for path in folder.iterdir() if (stamp := taken_at(path)) is not None]
    return [path for _, path in sorted(found)]


def private_folder(folder: Path) -> Path:
    """`folder`, created readable by this user alone (a backup holds every account's data
    and the secrets)."""
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    return folder


# --- writing -----------------------------------------------------------------------


def write(folder: Path, manifest: Manifest, dump: Path, secrets: dict[str, bytes]) -> Path:
    """Pack `dump`, `secrets` and `manifest` into a new backup in `folder` (mode 0600,
    renamed into place once complete); its path."""
    private_folder(folder)
    temporary = folder / f".{backup_name(manifest.created_at)}.{os.getpid()}.partial"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                _add_bytes(tar, MANIFEST, manifest.to_json(), manifest.created_at)
                tar.add(dump, arcname=DUMP_NAMES[manifest.dialect], filter=_private)
                for name, data in sorted(secrets.items()):
                    _add_bytes(tar, f"{SECRETS_FOLDER}/{name}", data, manifest.created_at)
            raw.flush()
            os.fsync(raw.fileno())
        return _link_into_place(temporary, folder, manifest.created_at)
    finally:
        temporary.unlink(missing_ok=True)


def _link_into_place(temporary: Path, folder: Path, when: datetime) -> Path:
    # A hard link fails when the name exists (two backups in one second): the next
    # counter is tried, and no backup is ever replaced.
    for counter in range(1000):
        final = folder / backup_name(when, counter)
        try:
            os.link(temporary, final)
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: check, then move
            if final.exists():
                continue
            os.replace(temporary, final)
        return final
    raise BadBackup(f"{folder} holds a thousand backups named for {when.isoformat()}")


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, when: datetime) -> None:
    info = _private(tarfile.TarInfo(name))
    info.size = len(data)
    info.mtime = int(when.timestamp())
    tar.addfile(info, io.BytesIO(data))


def read_secrets(data_dir: Path) -> dict[str, bytes]:
    """The secret files present in the data directory."""
    found = {}
    for name in SECRET_FILES:
        path = data_dir / name
        if path.is_file():
            found[name] = path.read_bytes()
    return found


def now() -> datetime:
    return clock.now().replace(microsecond=0)


# --- reading -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Opened:
    manifest: Manifest
    secrets: dict[str, bytes]


def read_manifest(path: Path) -> Opened:
    """The manifest and secrets of the backup at `path` (the dump stays packed)."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            manifest = Manifest.from_json(_member_bytes(tar, MANIFEST))
            if DUMP_NAMES[manifest.dialect] not in tar.getnames():
                raise BadBackup("it holds no database")
            secrets = {
                name: _member_bytes(tar, f"{SECRETS_FOLDER}/{name}") for name in manifest.secrets
            }
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BadBackup(f"it is not a readable backup archive ({error})") from error
    return Opened(manifest, secrets)


def extract_dump(path: Path, manifest: Manifest, into: Path) -> Path:
    """Unpack the database of the backup at `path` into the folder `into`. Only the one
    member is read, by its known name, so no name in the archive can write elsewhere."""
    target = into / DUMP_NAMES[manifest.dialect]
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            source = _member(tar, DUMP_NAMES[manifest.dialect])
            handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
    except (tarfile.TarError, EOFError) as error:
        raise BadBackup(f"its database cannot be unpacked ({error})") from error
    return target


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        info = tar.getmember(name)
    except KeyError as error:
        raise BadBackup(f"it has no {name}") from error
    extracted = tar.extractfile(info) if info.isfile() else None
    if extracted is None:
        raise BadBackup(f"its {name} is not a file")
    return extracted


def _member_bytes(tar: tarfile.TarFile, name: str) -> bytes:
    return _member(tar, name).read()
