"""Path and query parameters shared by the v3 controllers."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

TableName = Annotated[str, PathParameter(description="Custom table name (case-insensitive)")]
