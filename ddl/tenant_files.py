"""New tenant files on SQLite, made by copying a ready-made template.

A new SQLite tenant file used to be made by its first connection: switching an empty file to
WAL (a header write and syncs) and creating the internal tables took ~15-20 ms of a tenant's
creation. The template is made once per process (WAL mode and every internal table, all in the
main file) and kept in memory (~60 KB); a new tenant's file is that image, written beside its
final name and linked into place, so a file never appears half-written and never replaces one
that exists (the caller then opens the existing file and upgrades it, as before).

A new tenant's first rows (its first token's audit event) are written into an in-memory copy
of the template (`staged_space`) and land in the file with it, so a tenant's creation opens no
engine on its file at all: no connection, no WAL, no compiled statements, no other tenant's
space closed to make room. The template is a WAL-mode image, which SQLite's in-memory databases
refuse, so the copy is marked rollback-journal (header bytes 18-19 = 1) while it is in memory
and WAL (2) again when written: that pair of bytes is all that `journal_mode=WAL` changes in a
checkpointed file.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from ddl import space_setup
from ddl.backends.sqlite import ALIAS, staging_engine
from ddl.space import CATALOG_SCHEMA

_STALE_SIDE_FILES = ("-wal", "-shm", "-journal")
_image: dict[frozenset[str], bytes] = {}  # internal table names → the file (one entry)
_image_lock = threading.Lock()
_staging: list[sa.Engine] = []  # the staging engine, made on first use
_staging_lock = threading.Lock()
_JOURNAL_MODE_BYTES = slice(18, 20)  # the file format's write and read versions
_ROLLBACK, _WAL = b"\x01\x01", b"\x02\x02"


def _make_image() -> bytes:
    with tempfile.TemporaryDirectory(prefix="customtables-template-") as folder:
        path = Path(folder) / "template.db"
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN")
            for statement in space_setup.ddl_script(sqlite.dialect()):
                conn.execute(statement.replace(space_setup.SCHEMA_TOKEN, '"main"'))
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()  # the last connection: the WAL is folded into the main file
        return path.read_bytes()


def template_image() -> bytes:
    """The bytes of an empty, current tenant file (made again if an internal table was added)."""
    names = space_setup.internal_table_names()
    with _image_lock:
        if names not in _image:
            _image.clear()
            _image[names] = _make_image()
        return _image[names]


def _with_journal_bytes(image: bytes, mode: bytes) -> bytes:
    return image[: _JOURNAL_MODE_BYTES.start] + mode + image[_JOURNAL_MODE_BYTES.stop :]


@dataclass(slots=True)
class StagedSpace:
    """A write transaction on an in-memory copy of the template, seen as `customtables`."""

    conn: sa.Connection
    transaction: sa.RootTransaction

    def image(self) -> bytes:
        """Commit what was written and give the file's bytes (WAL mode, as the template)."""
        self.transaction.commit()
        raw = self.conn.connection.driver_connection
        assert raw is not None
        return _with_journal_bytes(raw.serialize(name=ALIAS), _WAL)


@contextmanager
def staged_space() -> Iterator[StagedSpace]:
    """Where a new tenant's first rows are written before its file exists (`place_new` then
    writes the image); one caller at a time per process, as the connection is shared."""
    with _staging_lock:
        if not _staging:
            _staging.append(staging_engine())
        with _staging[0].connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.deserialize(_with_journal_bytes(template_image(), _ROLLBACK), name=ALIAS)
            conn.execution_options(
                ct_write=True, schema_translate_map={CATALOG_SCHEMA: CATALOG_SCHEMA}
            )
            transaction = conn.begin()
            try:
                yield StagedSpace(conn, transaction)
            finally:
                if transaction.is_active:
                    transaction.rollback()


def remove(path: Path) -> None:
    """A tenant file and its side files (a deleted tenant, or a creation that failed after
    its file was placed)."""
    for suffix in ("", *_STALE_SIDE_FILES):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def place_new(path: Path, image: bytes | None = None) -> bool:
    """Write a new tenant file at `path` from `image` (by default the empty template); False
    (nothing written) when a file is already there. Leftover -wal/-shm/-journal files of an
    earlier file of that name are removed first: SQLite would otherwise replay a stale WAL
    into the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return False
    for suffix in _STALE_SIDE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex}.new")
    try:
        with staged.open("xb") as handle:
            handle.write(template_image() if image is None else image)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(staged, path)  # atomic, and fails when another process made the file meanwhile
    except FileExistsError:
        return False
    finally:
        staged.unlink(missing_ok=True)
    return True
