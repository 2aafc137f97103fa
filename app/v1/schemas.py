"""Request and response bodies of the v1 API, as msgspec structs (camelCase as in the source)."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType


class V1CreateTableRequest(msgspec.Struct):
    """POST /api/v1/tables."""

    name: str
    description: str | None = None
    columns: list[dict[str, Any]] | None = None
    schema: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    maxRows: int | None = None


class V1UpdateTableRequest(msgspec.Struct):
    """PATCH /api/v1/tables/:id: a field left out is left unchanged."""

    name: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    columns: list[dict[str, Any]] | UnsetType = UNSET
    schema: dict[str, Any] | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    maxRows: int | UnsetType = UNSET


class V1RowRequest(msgspec.Struct):
    """POST rows, PATCH a row: `data` is the whole payload (PATCH replaces it whole);
    `position` (optional, an extension of the source) orders rows when set."""

    data: dict[str, Any]
    position: float | UnsetType | None = UNSET


class TableOut(msgspec.Struct):
    id: str
    name: str
    sqlName: str
    description: str | None
    columns: list[dict[str, Any]]
    schema: dict[str, Any]
    metadata: dict[str, Any]
    maxRows: int
    rowCount: int
    createdAt: str
    updatedAt: str


class V1RowOut(msgspec.Struct):
    id: str
    data: dict[str, Any]
    position: float | None  # a JSON number (integral ones are written without a fraction)
    createdAt: str
    updatedAt: str


class V1AuditEventOut(msgspec.Struct):
    id: str
    action: str
    resourceType: str
    resourceId: str | None
    userId: str
    createdAt: str
    details: dict[str, Any]


class Deleted(msgspec.Struct):
    deleted: bool


class TableResult(msgspec.Struct):
    success: bool
    data: TableOut


class TableListResult(msgspec.Struct):
    success: bool
    data: list[TableOut]


class RowResult(msgspec.Struct):
    success: bool
    data: V1RowOut


class RowListResult(msgspec.Struct):
    success: bool
    data: list[V1RowOut]


class DeletedResult(msgspec.Struct):
    success: bool
    data: Deleted


class AuditListResult(msgspec.Struct):
    success: bool
    data: list[V1AuditEventOut]
