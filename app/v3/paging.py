"""The rows API's read options (Where, OrderBy, Top/Skip, After, Count) turned into an engine
read, and its answer headers: `Link: <…&After=…>; rel="next"` and `X-Total-Count`.

Kept out of the controller so each answer format (JSON rows, flat, CSV) shares one paging
implementation: a format only turns the page's partitions into bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from litestar.openapi.spec import OpenAPIHeader, Schema
from litestar.openapi.spec.enums import OpenAPIType

from app import cursors
from app.tenancy import Tenancy
from ddl import reads
from ddl.access import Caller
from ddl.catalog import TableDef
from ddl.space import TenantSpace
from queries.where import compile_where

OPENAPI_HEADERS = {
    "Link": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING),
        description='`<…?Top=…&After=…>; rel="next"` while more rows follow a page read with '
        "`Top`; the link keeps Format, Where, OrderBy, Top and Count.",
    ),
    "X-Total-Count": OpenAPIHeader(
        schema=Schema(type=OpenAPIType.STRING),
        description="With `Count=true`: the number of rows that match `Where` (all pages).",
    ),
}
WHERE_DESCRIPTION = (
    "A T-SQL condition over this table's columns, e.g. `Price > 10 AND Name LIKE 'A%'` "
    "(semantics of saved queries; no subquery, comment, `;` or @parameter; literals bound)."
)
ORDER_BY_DESCRIPTION = (
    "`Column [asc|desc]`, comma-separated: `Name, Price desc`; the key breaks ties."
)
AFTER_DESCRIPTION = 'The opaque cursor of the `Link: rel="next"` header of the previous page.'


@dataclass(frozen=True, slots=True)
class RowsQuery:
    """The read options as the client sent them (the next-page link repeats them)."""

    top: int | None = None
    skip: int | None = None
    order_by: str | None = None
    where: str | None = None
    after: str | None = None
    count: bool = False
    format: str | None = None


def where_builder(space: TenantSpace, text: str) -> reads.WhereBuilder:
    """A function from the table's current definition to the compiled condition."""

    def build(definition: TableDef) -> Any:
        backend = space.backend.name
        return compile_where(text, definition, backend=backend, schema=space.schema).clause()

    return build


def _scope(definition: TableDef, order: Any, where: str | None) -> str:
    return cursors.fingerprint(definition.id, [(c.name, d) for c, d in order], where)


def read(
    tenancy: Tenancy,
    space: TenantSpace,
    caller: Caller,
    name: str,
    query: RowsQuery,
    time_limit: float | None = None,
) -> tuple[reads.Page, str | None]:
    """The page and the cursor of the next one (None on the last page)."""
    table = reads.open_table(space, caller, name)
    order = reads.resolve_order(table, reads.OrderBy.parse_list(query.order_by))
    key = cursors.signing_key(tenancy.settings.cursor_secret, tenancy.meta)
    scope = _scope(table.definition, order, query.where)
    after = cursors.decode(key, scope, query.after) if query.after is not None else None
    request = reads.ReadRequest(
        top=query.top,
        skip=query.skip,
        order_by=reads.OrderBy.parse_list(query.order_by),
        where=where_builder(space, query.where) if query.where is not None else None,
        after=after,
        count=query.count,
        time_limit=time_limit,  # a Where's cost is the client's to choose: bounded
    )
    page = reads.page_of(space, table, request)
    if page.next_after is None:
        return page, None
    return page, cursors.encode(key, scope, page.next_after)


def headers(path: str, query: RowsQuery, page: reads.Page, cursor: str | None) -> dict[str, str]:
    """`Link` to the next page (path-absolute, the request's options kept, Skip dropped: the
    cursor already starts after the rows skipped) and `X-Total-Count`."""
    result: dict[str, str] = {}
    if page.total is not None:
        result["X-Total-Count"] = str(page.total)
    if cursor is not None:
        kept = [
            ("Top", query.top),
            ("OrderBy", query.order_by),
            ("Where", query.where),
            ("Format", query.format),
            ("Count", "true" if query.count else None),
            ("After", cursor),
        ]
        text = urlencode([(k, v) for k, v in kept if v is not None], quote_via=quote)
        result["Link"] = f'<{path}?{text}>; rel="next"'
    return result
