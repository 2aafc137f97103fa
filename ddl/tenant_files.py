"""New tenant files on SQLite, made by copying a ready-made template.

A new SQLite tenant file used to be made by its first connection: switching an empty file to
WAL (a header write and syncs) and creating the internal tables took ~15-20 ms of a tenant's
creation. The template is made once per process (WAL mode and every internal table, all in the
main file) and kept in memory (~60 KB); a new tenant's file is that image, written beside its
final name and linked into place, so a file never appears half-written and never replaces one
that exists (the caller then opens the existing file and upgrades it, as before).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import uuid
from pathlib import Path

from sqlalchemy.dialects import sqlite

from ddl import space_setup

_STALE_SIDE_FILES = ("-wal", "-shm", "-journal")
_image: tuple[frozenset[str], bytes] | None = None
_image_lock = threading.Lock()


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
    global _image
    names = space_setup.internal_table_names()
    with _image_lock:
        if _image is None or _image[0] != names:
            _image = (names, _make_image())
        return _image[1]


def place_new(path: Path) -> bool:
    """Write a new tenant file at `path` from the template; False (nothing written) when a file
    is already there. Leftover -wal/-shm/-journal files of an earlier file of that name are
    removed first: SQLite would otherwise replay a stale WAL into the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return False
    for suffix in _STALE_SIDE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex}.new")
    try:
        with staged.open("xb") as handle:
            handle.write(template_image())
            handle.flush()
            os.fsync(handle.fileno())
        os.link(staged, path)  # atomic, and fails when another process made the file meanwhile
    except FileExistsError:
        return False
    finally:
        staged.unlink(missing_ok=True)
    return True
