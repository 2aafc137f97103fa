"""Running one saved T-SQL query through HTTP and reading its answer (the §5.1 test files)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.conftest import Api

_names = itertools.count()


def save(api: Api, sql: str, **extra: Any) -> Any:
    name = f"Q{next(_names)}"
    body = {"Name": name, "Namespace": "CustomTable", "Sql": sql, **extra}
    return name, api.post("queries", json=body)


def answer(api: Api, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of `sql` saved and run as a saved query; both steps must succeed."""
    name, saved = save(api, sql)
    assert saved.status_code == 201, saved.text
    response = api.post(f"queries/{name}/execute", json=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["Truncated"] is False
    return body["Rows"]


def run_error(api: Api, sql: str) -> Any:
    """The response of running `sql`, which must save (refusals at run time are checked)."""
    name, saved = save(api, sql)
    assert saved.status_code == 201, saved.text
    return api.post(f"queries/{name}/execute", json={})
