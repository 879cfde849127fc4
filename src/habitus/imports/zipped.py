"""Reading an uploaded zip without unpacking more than the import needs (issue 11,
item 6).

Before `zipfile` reads the central directory, its size and member count are taken from
the end record and bounded (a 20 MB upload could otherwise list hundreds of thousands of
members). Members are then read as streams, each through an `Allowance` shared by the
whole import: the sizes the zip declares are checked against it before a member is
opened, and the bytes actually unpacked are counted against it as they come, so a member
that lies about its size is stopped all the same.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import IO

from habitus.imports.parsed import ImportRefused

# Far above what any member list of a real export takes (about 250 bytes a member).
MAX_DIRECTORY_BYTES = 1024 * 1024
_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
_END_SIZE = 22

# What reading a member of a damaged, encrypted or exotic zip can raise.
ZIP_ERRORS = (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError, zlib.error)


def _directory(data: bytes, what: str) -> tuple[int, int]:
    """(members, bytes) of the central directory, as the zip's end record declares
    them (the zip64 record when there is one, as `zipfile` reads it)."""
    at = data.rfind(_END, max(0, len(data) - _END_SIZE - 0xFFFF))
    if at < 0 or len(data) < at + _END_SIZE:
        raise ImportRefused(f"not {what}: the file is not a zip archive")
    members = int.from_bytes(data[at + 10 : at + 12], "little")
    size = int.from_bytes(data[at + 12 : at + 16], "little")
    locator = at - 20
    if locator >= 0 and data[locator : locator + 4] == _END64_LOCATOR:
        record = int.from_bytes(data[locator + 8 : locator + 16], "little")
        if data[record : record + 4] == _END64:
            members = int.from_bytes(data[record + 32 : record + 40], "little")
            size = int.from_bytes(data[record + 40 : record + 48], "little")
    return members, size


def open_archive(data: bytes, *, max_members: int, what: str) -> zipfile.ZipFile:
    """The zip in `data`, once its directory is known to be small enough."""
    members, size = _directory(data, what)
    if members > max_members or size > MAX_DIRECTORY_BYTES:
        raise ImportRefused(f"not {what}: the zip lists more than {max_members} files", "too_large")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (*ZIP_ERRORS, ValueError) as error:
        raise ImportRefused(f"not {what}: the file is not a zip archive") from error
    if len(archive.infolist()) > max_members:
        archive.close()
        raise ImportRefused(f"not {what}: the zip lists more than {max_members} files", "too_large")
    return archive


class Allowance:
    """How many unpacked bytes an import may still read from its zip."""

    def __init__(self, limit: int, what: str, why: str) -> None:
        self.limit = limit
        self._left = limit
        self._what = what
        self._why = why

    def refusal(self) -> ImportRefused:
        return ImportRefused(
            f"not {self._what}: the zip unpacks to more than {self.limit // (1024 * 1024)} MiB "
            f"of {self._why}",
            "too_large",
        )

    def declared(self, members: list[zipfile.ZipInfo]) -> None:
        """Refuse before reading when the members' declared sizes exceed what is left."""
        if sum(info.file_size for info in members) > self._left:
            raise self.refusal()

    def spend(self, count: int) -> None:
        self._left -= count
        if self._left < 0:
            raise self.refusal()


class _Counted(io.RawIOBase):
    """A member's bytes, counted against the allowance as they are unpacked."""

    def __init__(self, member: IO[bytes], allowance: Allowance) -> None:
        super().__init__()
        self._member = member
        self._allowance = allowance

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._member.read(len(buffer))
        self._allowance.spend(len(chunk))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._member.close()
        super().close()


def text_of(archive: zipfile.ZipFile, info: zipfile.ZipInfo, allowance: Allowance) -> IO[str]:
    """The member as UTF-8 text (a BOM skipped), read as it is unpacked, for `csv`."""
    raw = _Counted(archive.open(info), allowance)
    return io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8-sig", newline="")
