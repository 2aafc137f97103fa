"""Request and response bodies of the v3 API, as msgspec structs (PascalCase as in the source)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from ddl.catalog import ColumnDef


class ColumnSpecIn(msgspec.Struct):
    ColumnName: str
    ColumnDataTypeId: int
    ColumnLength: int | None = None


class CreateTableRequest(msgspec.Struct):
    """Create a table, or add the columns it lacks."""

    KeyColumnName: str | None = None
    KeyDataTypeId: int | None = None
    KeyColumnLength: int | None = None
    Columns: list[ColumnSpecIn] = msgspec.field(default_factory=list)
    ReadRoles: list[str] = msgspec.field(default_factory=list)
    SaveRoles: list[str] = msgspec.field(default_factory=list)


class ColumnValueIn(msgspec.Struct, gc=False):
    ColumnName: str
    Value: Any = None


class UpdateModel(msgspec.Struct, gc=False):
    """One row of a write: its key and the columns to set."""

    KeyValue: Any = msgspec.UNSET
    KeyColumnName: str | None = None
    KeyDataTypeId: int | None = None
    Columns: list[ColumnValueIn] = msgspec.field(default_factory=list)


class WriteRowsRequest(msgspec.Struct):
    """OperationType: Update (0), UpdateMany (1) or UpsertMany (2), by name or number."""

    OperationType: int | str
    UpdateModel: UpdateModel | None = None
    UpdateManyModel: list[UpdateModel] | None = None
    UpsertManyModel: list[UpdateModel] | None = None


class DeleteModel(msgspec.Struct):
    KeyValue: Any = msgspec.UNSET
    KeyColumnName: str | None = None


class DeleteManyModel(msgspec.Struct):
    KeyValues: list[Any]
    KeyColumnName: str | None = None


class DeleteWhereModel(msgspec.Struct):
    """The rows to delete: a T-SQL condition over the table's columns, as `Where` of rows/values."""

    Where: str


class DeleteRowsRequest(msgspec.Struct):
    """OperationType: Delete (0), DeleteAll (1), DeleteMany (2) or DeleteWhere (3), by name or
    number."""

    OperationType: int | str
    DeleteModel: DeleteModel | None = None
    DeleteManyModel: DeleteManyModel | None = None
    DeleteWhereModel: DeleteWhereModel | None = None


class RolesRequest(msgspec.Struct):
    ReadRoles: list[str] | None = None
    SaveRoles: list[str] | None = None


class TableDefinition(msgspec.Struct, kw_only=True, omit_defaults=True):
    Id: str
    TableName: str
    KeyColumnName: str
    KeyDataTypeId: int
    KeyColumnLength: int | None = None
    Columns: list[ColumnDef]
    ReadRoles: list[str]
    SaveRoles: list[str]
    RowCount: int
    CreatedAt: str
    UpdatedAt: str


class WriteRowsResult(msgspec.Struct):
    Inserted: int
    Updated: int
    KeyValues: list[Any]


class DeleteRowsResult(msgspec.Struct):
    Deleted: int


class DropResult(msgspec.Struct):
    Dropped: bool


encoder = msgspec.json.Encoder(decimal_format="number")


def decoder(kind: type) -> msgspec.json.Decoder[Any]:
    """Decoders keep JSON numbers with a fraction exact (Decimal), so Money never goes through a
    binary float; Float columns convert them back."""
    return msgspec.json.Decoder(kind, float_hook=Decimal)
