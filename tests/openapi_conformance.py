"""Every answer the test suite's HTTP clients receive, checked against the app's own OpenAPI
document (SPEC §8): the status is documented for that operation, the media type is one the
document lists for it, and a JSON body validates against its schema (JSON Schema 2020-12, as
OpenAPI 3.1 says, with jsonschema-rs). An API path the document does not know (an unknown
route, a method the route lacks) must still answer in the error shape of its API.

conftest.py wraps `TestClient.send` once per session, so every test, and every route another
change adds later, is covered without a line of its own; a test whose answers do not conform
fails at teardown, naming each answer and what did not match.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import jsonschema_rs

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
STATE_KEY = "tests_openapi_document"
ERROR_SCHEMAS = {"/api/v1/": "ErrorV1", "/api/": "ErrorV3"}


def _segments(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


@dataclass(frozen=True)
class Template:
    path: str
    parts: tuple[str, ...]

    @property
    def literal_count(self) -> int:
        return sum(not part.startswith("{") for part in self.parts)

    def matches(self, parts: list[str]) -> bool:
        return len(parts) == len(self.parts) and all(
            mine.startswith("{") or mine == theirs
            for mine, theirs in zip(self.parts, parts, strict=True)
        )


class Document:
    """One app's OpenAPI document, with its path templates and schema validators."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.paths: dict[str, Any] = document.get("paths", {})
        templates = [Template(path, tuple(_segments(path))) for path in self.paths]
        # the most literal template first: /rows/values before /{table_name}
        self.templates = sorted(templates, key=lambda t: -t.literal_count)
        self._validators: dict[str, Any] = {}

    def template_of(self, path: str) -> str | None:
        parts = _segments(unquote(path))
        return next((t.path for t in self.templates if t.matches(parts)), None)

    def validator(self, schema: dict[str, Any]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        found = self._validators.get(key)
        if found is None:
            root = {**schema, "components": self.document.get("components", {})}
            found = self._validators[key] = jsonschema_rs.Draft202012Validator(root)
        return found

    def component(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}


@dataclass
class Answer:
    method: str
    path: str
    status: int
    media_type: str
    body: bytes | None  # None: streamed and not read by the test

    def label(self) -> str:
        return f"{self.method} {self.path} → {self.status} {self.media_type or '(no type)'}"


def _body_problem(document: Document, schema: dict[str, Any], body: bytes) -> str | None:
    try:
        value = json.loads(body)
    except ValueError:
        return "the body is not JSON"
    errors = list(document.validator(schema).iter_errors(value))
    if not errors:
        return None
    first = errors[0]
    where = "/".join(str(step) for step in first.instance_path) or "(top)"
    return f"the body does not match its schema at {where}: {first.message[:300]}"


def _error_shape_problem(document: Document, answer: Answer) -> str | None:
    """An API path with no documented operation (404 no route, 405): the API's error shape."""
    name = next((n for prefix, n in ERROR_SCHEMAS.items() if answer.path.startswith(prefix)), None)
    if name is None or answer.status < 400 or not answer.body or answer.method == "HEAD":
        return None
    if answer.method == "OPTIONS":
        return None  # a CORS preflight: the browser's protocol, answered by the CORS middleware
    if name not in document.document.get("components", {}).get("schemas", {}):
        return None
    return _body_problem(document, document.component(name), answer.body)


def problem(document: Document, answer: Answer) -> str | None:
    """What in `answer` the document does not say, or None."""
    template = document.template_of(answer.path)
    operation = document.paths.get(template, {}).get(answer.method.lower()) if template else None
    if operation is None:
        return _error_shape_problem(document, answer)
    responses = operation.get("responses", {})
    documented = responses.get(str(answer.status)) or responses.get("default")
    if documented is None:
        return f"status {answer.status} is not documented (documented: {sorted(responses)})"
    content = documented.get("content") or {}
    if not content:
        return None if not answer.body else "a body where the document promises none"
    if answer.method == "HEAD" or (answer.body is not None and not answer.body):
        return None  # no body to check (HEAD, or an answer the route left empty)
    media = content.get(answer.media_type)
    if media is None:
        return f"media type {answer.media_type!r} is not documented (documented: {list(content)})"
    schema = media.get("schema")
    if answer.body is None or not schema or "json" not in answer.media_type:
        return None
    return _body_problem(document, schema, answer.body)


@dataclass
class Recorder:
    """Answers seen while a test runs, and the problems found in them."""

    problems: list[str] = field(default_factory=list)
    checked: int = 0

    @staticmethod
    def document_of(app: Any) -> Document:
        """The app's document, kept in its state (built once per app; apps are not weakly
        referable)."""
        found = app.state.get(STATE_KEY)
        if found is None:
            found = app.state[STATE_KEY] = Document(app.openapi_schema.to_schema())
        return found  # type: ignore[no-any-return]

    def see(self, app: Any, request: Any, response: Any, streamed: bool) -> None:
        if getattr(app, "openapi_config", None) is None:
            return
        content_type = response.headers.get("content-type", "")
        answer = Answer(
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            media_type=content_type.split(";")[0].strip().lower(),
            body=None if streamed else response.content,
        )
        self.checked += 1
        found = problem(self.document_of(app), answer)
        if found is not None:
            self.problems.append(f"{answer.label()}: {found}")

    @contextmanager
    def watching(self) -> Iterator[list[str]]:
        """The problems found while the block runs (kept for the caller to assert on)."""
        self.problems = []
        yield self.problems


RECORDER = Recorder()


def install(client_class: Any) -> None:
    """Wrap `client_class.send` (httpx's, as Litestar's TestClient inherits it) so every answer
    is checked; idempotent."""
    if getattr(client_class.send, "_checks_openapi", False):
        return
    original = client_class.send

    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = original(self, request, *args, **kwargs)
        RECORDER.see(self.app, request, response, bool(kwargs.get("stream")))
        return response

    send._checks_openapi = True  # type: ignore[attr-defined]
    client_class.send = send
