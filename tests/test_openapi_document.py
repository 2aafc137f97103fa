"""`/schema/openapi.json` as SPEC §8 says, and the docs page at `/schema` with no internet.

Every answer of every test is checked against the document by the autouse fixture of
conftest.py (tests/openapi_conformance.py); the tests here show that check can fail, and pin
what the document must say beyond what the suite's answers exercise."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from openapi_spec_validator import validate

from tests.conftest import PRODUCT_CATALOG, Api, TenantCtx
from tests.openapi_conformance import RECORDER, Answer, Document, problem

HTML_PAGES = ["/schema", "/schema/swagger", "/data"]
ASSET_TAGS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src"}


class _Assets(HTMLParser):
    """Every URL a page loads: scripts, styles, icons, images, and `data-*` URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        wanted = ASSET_TAGS.get(tag)
        if wanted and values.get(wanted):
            self.urls.append(values[wanted] or "")
        for name, value in attrs:
            if name.startswith("data-") and value and value.startswith(("/", "http", "//")):
                self.urls.append(value)


def _document(api: Api) -> dict[str, Any]:
    response = api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("page", HTML_PAGES)
def test_docs_pages_load_only_what_the_server_serves(api: Api, page: str) -> None:
    response = api.client.get(page)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'none'" in policy, policy
    assert "script-src 'self'" in policy, policy
    assert "http://" not in response.text
    assert "https://" not in response.text
    parser = _Assets()
    parser.feed(response.text)
    assert len(parser.urls) >= 2, parser.urls  # at least its script and its stylesheet
    for url in parser.urls:
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue  # inline: nothing is fetched
        assert not parts.scheme, f"{page} loads {url} from elsewhere"
        assert not parts.netloc, f"{page} loads {url} from elsewhere"
        asset = api.client.get(urljoin(page, url))
        assert asset.status_code == 200, (page, url, asset.status_code)
        assert asset.content, (page, url)


def test_docs_page_runs_swagger_ui_on_the_document(api: Api) -> None:
    page = api.client.get("/schema").text
    assert "/schema/assets/swagger-ui-bundle.js" in page
    assert 'data-openapi="/schema/openapi.json"' in page
    script = api.client.get("/schema/assets/init.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "SwaggerUIBundle(" in script.text
    assert "validatorUrl: null" in script.text
    bundle = api.client.get("/schema/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert len(bundle.content) > 500_000
    licence = api.client.get("/schema/assets/LICENSE")
    assert licence.status_code == 200
    assert "Apache License" in licence.text


def _answer(method: str, path: str, status: int, body: bytes, media: str = "application/json"):
    return Answer(method, path, status, media, body)


def test_the_conformance_check_fails_answers_the_document_does_not_describe(api: Api) -> None:
    document = Document(_document(api))
    good = b'{"Code": "NOT_FOUND", "Message": "Custom table \'Foo\' does not exist"}'
    assert problem(document, _answer("GET", "/api/v3/custom-tables/Foo", 404, good)) is None
    # a status the route never answers
    found = problem(document, _answer("GET", "/api/v3/custom-tables", 404, good))
    assert found is not None
    assert "status 404 is not documented" in found
    # Litestar's default error body instead of ours
    litestar = b'{"status_code": 404, "detail": "Not Found"}'
    found = problem(document, _answer("GET", "/api/v3/custom-tables/Foo", 404, litestar))
    assert found is not None
    assert "does not match its schema" in found
    # the v3 shape on a v1 route
    found = problem(document, _answer("GET", "/api/v1/tables/x", 404, good))
    assert found is not None
    assert "does not match" in found
    # a media type the operation does not list
    found = problem(document, _answer("GET", "/api/v3/custom-tables", 200, b"x", "text/plain"))
    assert found is not None
    assert "media type" in found
    # a success body of the wrong shape
    found = problem(document, _answer("GET", "/api/v3/custom-tables", 200, b'[{"Id": 1}]'))
    assert found is not None
    assert "does not match" in found
    # an unknown route must still answer in its API's error shape
    found = problem(document, _answer("GET", "/api/v3/nope", 404, b'{"detail": "x"}'))
    assert found is not None
    assert "does not match" in found


def test_the_suites_answers_are_checked(api: Api) -> None:
    before = RECORDER.checked
    assert api.get("custom-tables").status_code == 200
    assert api.get("custom-tables/Nope").status_code == 404
    assert RECORDER.checked == before + 2


def test_the_document_validates_as_openapi_3_1(api: Api) -> None:
    document = _document(api)
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises, naming the place, when it is not valid OpenAPI


def test_create_table_documents_201_and_200_and_answers_both(api: Api) -> None:
    operation = _document(api)["paths"]["/api/v3/custom-tables/{table_name}"]["post"]
    assert {"200", "201", "400", "401", "403", "409", "413", "415"} <= set(operation["responses"])
    first = api.post("custom-tables/ProductCatalog", json=PRODUCT_CATALOG)
    again = api.post("custom-tables/ProductCatalog", json=PRODUCT_CATALOG)
    assert (first.status_code, again.status_code) == (201, 200)  # both checked by the fixture
    example = operation["requestBody"]["content"]["application/json"]["examples"]
    assert example["ProductCatalog"]["value"] == PRODUCT_CATALOG


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def test_every_api_route_documents_its_errors_and_its_scheme(api: Api) -> None:
    document = _document(api)
    schemes = document["components"]["securitySchemes"]
    assert schemes["AccessToken"] == {
        "type": "apiKey", "name": "X-AccessToken", "in": "header",
        "description": schemes["AccessToken"]["description"],
    }  # fmt: skip
    assert schemes["ApiKey"]["name"] == "x-api-key"
    assert schemes["ApiKey"]["in"] == "header"
    api_operations = [op for op in _operations(document) if op[1].startswith("/api/")]
    assert len(api_operations) >= 30
    for method, path, operation in api_operations:
        v1 = path.startswith("/api/v1/")
        assert operation["security"] == [{"ApiKey": []} if v1 else {"AccessToken": []}], path
        responses = operation["responses"]
        assert {"400", "401", "403", "500"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if "requestBody" in operation:
            assert {"413", "415"} <= set(responses), (method, path)
        if v1:
            assert "429" in responses, (method, path)
        error = "ErrorV1" if v1 else "ErrorV3"
        for status, answer in responses.items():
            if status.startswith(("4", "5")):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": f"#/components/schemas/{error}"}, (path, status)


def test_heavy_and_timed_routes_document_429_and_408(api: Api) -> None:
    paths = _document(api)["paths"]
    for path, method in [
        ("/api/v3/queries/{name}/execute", "get"),
        ("/api/v3/queries/{name}/execute", "post"),
        ("/api/v3/custom-tables/{table_name}/rows/values", "get"),
        ("/api/v3/custom-tables/{table_name}/export", "get"),
    ]:
        assert {"408", "429"} <= set(paths[path][method]["responses"]), (method, path)
    assert "429" in paths["/api/v3/custom-tables/{table_name}/import"]["put"]["responses"]
    assert "408" in paths["/api/v3/custom-tables/{table_name}/rows"]["delete"]["responses"]
    assert "429" not in paths["/api/v3/custom-tables"]["get"]["responses"]


def test_error_bodies_and_v1_rows_are_typed_as_sent(api: Api) -> None:
    schemas = _document(api)["components"]["schemas"]
    v3 = schemas["ErrorV3"]
    assert set(v3["required"]) == {"Code", "Message"}
    assert set(v3["properties"]) == {"Code", "Message", "RequestId"}
    v1 = schemas["ErrorV1"]
    assert set(v1["required"]) == {"success", "error"}
    assert v1["properties"]["success"].get("const") is False
    assert set(schemas["ErrorV1Detail"]["required"]) == {"code", "message"}
    row = next(
        s for name, s in schemas.items() if name == "V1RowOut"
    )
    assert row["properties"]["position"] == {"oneOf": [{"type": "number"}, {"type": "null"}]}


def test_the_source_documents_examples_are_shown(api: Api) -> None:
    paths = _document(api)["paths"]
    writes = paths["/api/v3/custom-tables/{table_name}/rows"]
    put_examples = writes["put"]["requestBody"]["content"]["application/json"]["examples"]
    assert put_examples["Update"]["value"]["UpdateModel"]["Columns"][1] == {
        "ColumnName": "Price", "Value": 39.99,
    }  # fmt: skip
    assert {"Delete", "DeleteMany", "DeleteAll"} <= set(
        writes["delete"]["requestBody"]["content"]["application/json"]["examples"]
    )
    values = paths["/api/v3/custom-tables/{table_name}/rows/values"]["get"]["responses"]["200"]
    rows = values["content"]["application/json"]["examples"]
    assert any(e["value"][0].get("TableName") == "ProductCatalog" for e in rows.values())
    v1 = paths["/api/v1/tables"]["post"]
    body = v1["requestBody"]["content"]["application/json"]["examples"]
    assert body["ProcessedInvoices"]["value"]["name"] == "Processed Invoices"
    missing = paths["/api/v3/custom-tables/{table_name}"]["get"]["responses"]["404"]
    example = next(iter(missing["content"]["application/json"]["examples"].values()))
    assert example["value"] == {"Code": "NOT_FOUND", "Message": "Custom table 'Foo' does not exist"}


def test_v1_answers_conform_with_the_api_key(tenant: TenantCtx) -> None:
    """A v1 round trip (the recorder checks each answer against the document)."""
    v1 = tenant.api(scopes=("workflows:read", "workflows:write"), header="x-api-key")
    created = v1.post("/api/v1/tables", json={"name": "Processed Invoices", "maxRows": 1})
    assert created.status_code == 201, created.text
    table = created.json()["data"]["id"]
    row = v1.post(f"/api/v1/tables/{table}/rows", json={"data": {"amountCents": 9900}})
    assert row.status_code == 201
    assert row.json()["data"]["position"] is None
    full = v1.post(f"/api/v1/tables/{table}/rows", json={"data": {"amountCents": 1}})
    assert full.status_code == 400
    assert full.json()["error"]["code"] == "BAD_REQUEST"
    assert v1.get(f"/api/v1/tables/{table}/rows").status_code == 200
    assert v1.get("/api/v1/tables/nope").status_code == 404
    assert Api(tenant.client, "wrong", "x-api-key").get("/api/v1/tables").status_code == 401
