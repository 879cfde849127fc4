"""Backups of the whole installation (issue 22): `habitus backup`, `habitus restore` and
the worker's scheduled backups with retention.

A backup is one file, `habitus-YYYYMMDDTHHMMSSZ.tar.gz`: the database (SQLite's online
backup, or `pg_dump --format=custom`), the data-directory secrets without which parts of
that database cannot be read (`archive.SECRET_FILES`), and `manifest.json` (format
version, dialect, Alembic revision, when, which app version). Foundation code: it knows
no feature, only files, the database and Alembic.
"""
