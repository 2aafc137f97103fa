"""Saved SQL queries in the CustomTable namespace: parse, check, plan, run, store.

Importing the package gives every SQLite connection made from then on the T-SQL functions
saved queries call (queries/dialects/sqlite_functions.py), through the SQLite backend's
connect hooks: ddl, below this layer, never imports it.
"""

from ddl.backends import sqlite as _sqlite_backend
from queries.dialects import sqlite_functions as _sqlite_functions

_sqlite_backend.add_connect_hook(_sqlite_functions.register)
