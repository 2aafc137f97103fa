"""Answer and file formats of rows, apart from the HTTP layer: each writer reads a
`ddl/row_stream.py RowStream` a partition at a time. `json_rows.py`: the v3 source shape, the
flat shape and the export file; `csv_write.py` / `csv_read.py`: CSV (RFC 4180) both ways.
"""
