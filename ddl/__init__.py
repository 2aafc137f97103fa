"""The custom-table engine: types, names, catalog, DDL, row writes and reads (no HTTP here)."""
