"""schemathesis (property-based requests generated from /schema/openapi.json) against a live
server on SQLite and on PostgreSQL: no server error, and every answer's status, content type
and body as the document says. Examples per operation are bounded to keep this near a minute
per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.live_backend import serving

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 8


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    data_dir: Path = tmp_path_factory.mktemp(f"schemathesis_{request.param}")
    with serving(request.param, data_dir) as (server, token):
        yield server.base_url, token


def _check_operation(operation: Any, base_url: str, token: str) -> None:
    """EXAMPLES generated requests for one operation, each call validated by CHECKS."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            base_url=base_url,
            headers={"X-AccessToken": token, "x-api-key": token},
            checks=CHECKS,
        )

    run()


def test_api_conforms_to_its_document(served: tuple[str, str]) -> None:
    """Every documented operation (schemathesis's pytest plugin does not run on pytest 9, so
    the operations are walked here; a failure names its operation and what did not conform)."""
    base_url, token = served
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if operation.path.endswith("/changes"):
            continue  # an event stream stays open by design (tests/test_webhooks.py covers it)
        try:
            _check_operation(operation, base_url, token)
        except Exception as error:
            failures.append(f"{operation.label}: {str(error)[:1500]}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
