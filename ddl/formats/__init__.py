"""Answer and file formats of rows, apart from the HTTP layer: CSV (RFC 4180) both ways.

The v3 row shape, the flat shape and the JSON export file are still written by
`app/v3/shapes.py` and `ddl/exchange_file.py`; they are the next to move here (DESIGN.md,
"one formats module").
"""
