"""Reading every row of a table a page at a time (SPEC §10): ask for `Top` rows, then follow
the `Link: <…>; rel="next"` the server sends while more rows follow. A server that sends no
Link (one older than keyset paging) is read on with `Skip` while its pages come back full, so
every row is yielded exactly once either way, and only one page is ever held in memory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from customtables.calls import table_path
from customtables.errors import CustomTablesError
from customtables.transport import Call
from customtables.values import Row, decode_exact, definition_columns, row_decoder

DEFAULT_PAGE_SIZE = 1000


def _response(response: httpx.Response) -> httpx.Response:
    return response


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


@dataclass
class Pager:
    """The calls of one iteration, in order; `rows(response)` decodes a page."""

    name: str
    definition: Mapping[str, Any]
    params: dict[str, str | int]
    page_size: int = DEFAULT_PAGE_SIZE
    read: int = 0
    keyset: bool = False  # the server has sent a Link: trust it to say when the rows end
    last_link: str | None = None

    def __post_init__(self) -> None:
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._decode = row_decoder(definition_columns(self.definition))

    def first(self) -> Call[httpx.Response]:
        params = {**self.params, "Format": "flat", "Top": self.page_size}
        self.params = params
        return Call("GET", table_path(self.name, "/rows/values"), _response, params)

    def rows(self, response: httpx.Response) -> list[Row]:
        page = decode_exact(response.content)
        if not isinstance(page, list):
            raise CustomTablesError("The server answered rows/values with something not a list")
        self.read += len(page)
        return [self._decode(row) for row in page]

    def next(self, response: httpx.Response, count: int) -> Call[httpx.Response] | None:
        """The call for the page after this one, or None when this was the last."""
        link = response.links.get("next", {}).get("url")
        if link:
            return self._follow(response, link)
        if self.keyset or count < self.page_size:
            return None
        # No Link from a server that may not page by keyset: continue after the rows read.
        params = {**self.params, "Skip": self.read}
        return Call("GET", table_path(self.name, "/rows/values"), _response, params)

    def _follow(self, response: httpx.Response, link: str) -> Call[httpx.Response]:
        url = response.request.url.join(link)
        if not _same_origin(url, response.request.url):
            # The token goes with every request: never to a host the caller did not name.
            raise CustomTablesError(f"The server's next-page link leaves the server: {url}")
        if str(url) == self.last_link or url == response.request.url:
            raise CustomTablesError("The server's next-page link repeats the page just read")
        self.last_link = str(url)
        self.keyset = True
        return Call("GET", str(url), _response)
