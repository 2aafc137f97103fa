"""Every type id through every table built from the ColumnType records (ddl/types.py): each
place that looks a type up by id (SQL DDL on three backends, the typed write decoder, JSON in
and out, CSV both ways, the T-SQL planner, saved-query parameters and answers, collation, CSV
inference) answers for every id, so a new id cannot meet a KeyError anywhere."""

from __future__ import annotations

import re

import msgspec
import pytest
import sqlalchemy as sa
import sqlglot
from sqlalchemy.dialects import mssql, postgresql, sqlite
from sqlalchemy.schema import CreateTable

from ddl import collation
from ddl.backends import POSTGRESQL, SQLITE, backend_for
from ddl.formats import csv_types, csv_values, csv_write
from ddl.types import (
    COLUMN_TYPES,
    KEY_TYPES,
    MAX_TYPE_ID,
    BadValue,
    TypeId,
    column_type,
    input_converter,
    key_from_text,
    output_converter,
    sql_type,
    string_length,
    type_name,
)
from queries import plan, results

DIALECTS = {
    "sqlite": sqlite.dialect(),
    "postgresql": postgresql.dialect(),
    "mssql": mssql.dialect(),
}
LENGTH = 30  # a VarcharOther's own length; ignored by the other types
# A valid JSON value of each type, the text a CSV field holds for it, and the JSON-ready value
# a read gives back for what the database stores.
SAMPLES = {
    TypeId.BOOLEAN: (True, "true"),
    TypeId.DATE: ("2026-01-15T10:00:00Z", "2026-01-15T10:00:00Z"),
    TypeId.FLOAT: (1.5, "1.5"),
    TypeId.INTEGER: (42, "42"),
    TypeId.MONEY: (39.99, "39.99"),
    TypeId.VARCHAR50: ("fifty", "fifty"),
    TypeId.VARCHAR100: ("hundred", "hundred"),
    TypeId.VARCHARMAX: ("max", "max"),
    TypeId.TEXT: ("text", "text"),
    TypeId.UNIQUEIDENTIFIER: (
        "a1b2c3d4-0000-0000-0000-00000000000a",
        "a1b2c3d4-0000-0000-0000-00000000000a",
    ),
    TypeId.VARCHAR200: ("two hundred", "two hundred"),
    TypeId.VARCHAROTHER: ("other", "other"),
    TypeId.VARBINARY: ("aGVsbG8=", "aGVsbG8="),
}
EVERY_ID = list(TypeId)
EXPECTED_SQL = {  # the per-backend renderings that matter most (SPEC §3)
    ("sqlite", TypeId.MONEY): "DECIMAL_TEXT(19,4)",
    ("postgresql", TypeId.MONEY): "NUMERIC(19, 4)",
    ("mssql", TypeId.MONEY): "DECIMAL(19, 4)",
    ("mssql", TypeId.DATE): "DATETIME2",
    ("mssql", TypeId.BOOLEAN): "BIT",
    ("mssql", TypeId.VARCHARMAX): "NVARCHAR(max)",
    ("mssql", TypeId.VARCHAROTHER): "NVARCHAR(30)",
    ("postgresql", TypeId.UNIQUEIDENTIFIER): "UUID",
    ("sqlite", TypeId.UNIQUEIDENTIFIER): "VARCHAR(36)",
}


def test_one_record_per_id_and_a_sample_per_id() -> None:
    assert set(COLUMN_TYPES) == set(TypeId) == set(SAMPLES)
    assert max(TypeId) == MAX_TYPE_ID
    assert all(COLUMN_TYPES[type_id].id is type_id for type_id in TypeId)
    assert len({record.name for record in COLUMN_TYPES.values()}) == len(TypeId)


@pytest.mark.parametrize("type_id", EVERY_ID, ids=lambda t: t.name)
@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_sql_type_renders_as_a_column_and_a_key(type_id: TypeId, dialect: str) -> None:
    table = sa.Table(
        "t",
        sa.MetaData(),
        sa.Column("k", sql_type(TypeId.INTEGER), primary_key=True),
        sa.Column("v", sql_type(type_id, LENGTH)),
    )
    ddl = str(CreateTable(table).compile(dialect=DIALECTS[dialect]))
    found = re.search(r"\tv (.*?)(?: NULL)?, ?\n", ddl)
    assert found is not None, ddl
    rendered = found.group(1)
    assert rendered == EXPECTED_SQL.get((dialect, type_id), rendered) != ""
    if type_id in KEY_TYPES:
        key = sa.Table(
            "k", sa.MetaData(), sa.Column("k", sql_type(type_id, LENGTH), primary_key=True)
        )
        assert "PRIMARY KEY" in str(CreateTable(key).compile(dialect=DIALECTS[dialect]))


@pytest.mark.parametrize("type_id", EVERY_ID, ids=lambda t: t.name)
@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_json_in_and_out(type_id: TypeId, dialect: str) -> None:
    value, _text = SAMPLES[type_id]
    bound = input_converter(type_id, LENGTH, backend_for(dialect))(value)
    assert bound is not None
    with pytest.raises(BadValue):
        input_converter(type_id, LENGTH, backend_for(dialect))({"not": "a value"})
    to_json = output_converter(type_id)
    if to_json is not None and dialect == "sqlite":  # what SQLite hands back is what we bound
        assert to_json(bound) is not None
    assert column_type(type_id).param_converter(backend_for(dialect))(value) is not None
    assert column_type(type_id).shape(bound) is not None


@pytest.mark.parametrize("type_id", EVERY_ID, ids=lambda t: t.name)
@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_typed_wire_form_decodes_the_sample_and_converts_like_the_general_path(
    type_id: TypeId, dialect: str
) -> None:
    record = column_type(type_id)
    value, _text = SAMPLES[type_id]
    wire = record.wire(backend_for(dialect), LENGTH, 1000)
    decoded = msgspec.json.decode(msgspec.json.encode(value), type=wire)
    bound = input_converter(type_id, LENGTH, backend_for(dialect))(value)
    if record.wire_converts:
        one = (record.wire_to_db or record.to_db)(backend_for(dialect), LENGTH)
        if one is not None:
            decoded = one(decoded)
        whole = record.wire_column(backend_for(dialect), LENGTH) if record.wire_column else None
        if whole is not None:
            raw = msgspec.json.decode(msgspec.json.encode(value), type=wire)
            assert whole([raw, raw]) in (None, [bound, bound])
    assert decoded == bound  # e.g. VarBinary: base64 decoded by msgspec in C


@pytest.mark.parametrize("type_id", EVERY_ID, ids=lambda t: t.name)
def test_csv_both_ways(type_id: TypeId) -> None:
    value, text = SAMPLES[type_id]
    parsed = csv_values.parser(type_id)(text)
    assert input_converter(type_id, LENGTH, SQLITE)(parsed) == input_converter(
        type_id, LENGTH, SQLITE
    )(value)
    ready = output_converter(type_id)
    shown = ready(input_converter(type_id, LENGTH, POSTGRESQL)(value)) if ready else value
    assert csv_values.formatter(int(type_id))(shown)
    column, _empty = csv_write._adapter(int(type_id))([shown, shown])
    assert len(column) == 2
    given = f"V:{int(type_id)}" + (f"({LENGTH})" if type_id is TypeId.VARCHAROTHER else "")
    assert csv_types.parse_types(given)["V"].type_id is type_id
    inference = csv_types.Inference()
    inference.add(text)
    assert inference.result().type_id in TypeId


@pytest.mark.parametrize("type_id", EVERY_ID, ids=lambda t: t.name)
def test_planner_types_and_answers(type_id: TypeId) -> None:
    record = column_type(type_id)
    sqlglot.exp.DataType.build(record.planner_sql(LENGTH), dialect="tsql")
    for kind in record.planner_kinds:
        assert plan._TYPE_IDS[sqlglot.exp.DataType.Type[kind]] is type_id
    value, _text = SAMPLES[type_id]
    column = plan.OutputColumn("V", type_id)
    _columns, shape = results.shaper([column], [])
    assert shape([input_converter(type_id, LENGTH, SQLITE)(value)])["V"] is not None


@pytest.mark.parametrize("type_id", EVERY_ID, ids=lambda t: t.name)
def test_names_lengths_keys_and_collation(type_id: TypeId) -> None:
    assert type_name(type_id) == column_type(type_id).name
    assert collation.is_text(type_id) is column_type(type_id).text
    limit = string_length(type_id, LENGTH)
    assert limit is None or limit > 0
    if type_id is TypeId.INTEGER:
        assert key_from_text(type_id, " 7 ") == 7
    else:
        assert key_from_text(type_id, "x") == "x"
    assert column_type(type_id).from_text("1") is not None
