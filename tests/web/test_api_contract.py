"""The OpenAPI document the stack serves, as its two readers see it: Swagger UI at /docs, opened in Chromium, renders
every operation; and the web app's generated client types (web/src/api/schema.d.ts) are what openapi-typescript
makes of it now, so the app is type-checked against the API as it is (`make web-client` regenerates them from the
same document, written without serving)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.local_stack.running_stack import REPO_ROOT, Http, StackProcess

OPENAPI_TYPESCRIPT = REPO_ROOT / "web" / "node_modules" / ".bin" / "openapi-typescript"
COMMITTED_TYPES = REPO_ROOT / "web" / "src" / "api" / "schema.d.ts"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def swagger_id(operation: dict[str, Any]) -> str:
    """The id Swagger UI gives an operation's block: operations-<tag>-<operationId>, blanks made underscores."""
    return re.sub(r"\s", "_", f"operations-{operation['tags'][0]}-{operation['operationId']}")


@pytest.mark.browser
def test_the_docs_page_renders_every_operation_of_the_document(
    web_stack: StackProcess, web_http: Http, page: Page, screenshot: Callable[[Page, str], Path]
) -> None:
    # Given the document the stack serves, each operation under one tag (Swagger UI shows it once per tag)
    document = web_http.get("/openapi.json").json()
    found = operations(document)
    assert len(found) >= 40
    assert [(m, p) for m, p, operation in found if len(operation.get("tags", [])) != 1] == []

    # When /docs is opened in Chromium and Swagger UI has rendered it
    page.goto(f"{web_stack.base_url}/docs")
    page.wait_for_selector(".swagger-ui .information-container .title")
    page.wait_for_selector(".opblock")
    page.wait_for_load_state("networkidle")

    # Then there is one operation block per (path, method), each the operation the document has
    blocks = page.locator(".opblock")
    assert blocks.count() == len(found)
    rendered = {block.get_attribute("id") for block in blocks.all()}
    assert rendered == {swagger_id(operation) for _, _, operation in found}
    # And no error: neither the "Unable to render this definition" page nor the errors panel
    assert "Unable to render" not in page.content()
    assert page.locator(".errors-wrapper").count() == 0
    assert page.locator(".swagger-ui .info .title").inner_text().startswith(document["info"]["title"])
    screenshot(page, "api-docs")


def test_the_committed_client_types_are_generated_from_the_live_document(web_http: Http, tmp_path: Path) -> None:
    # Given the document the stack serves now
    if not OPENAPI_TYPESCRIPT.is_file():
        pytest.fail("web/node_modules is missing: run `make test` (or `make web`: npm ci in web/)")
    reply = web_http.get("/openapi.json")
    assert reply.status == 200
    live = tmp_path / "openapi.json"
    live.write_bytes(reply.body)

    # When openapi-typescript (web/package.json's version) generates the client types from it
    generated = tmp_path / "schema.d.ts"
    done = subprocess.run(
        [str(OPENAPI_TYPESCRIPT), str(live), "--output", str(generated)],
        cwd=REPO_ROOT / "web",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # Then they are byte for byte the committed ones (servers, which name this stack's port, play no part)
    assert COMMITTED_TYPES.is_file(), f"{COMMITTED_TYPES.relative_to(REPO_ROOT)} is missing: run `make web-client`"
    assert generated.read_bytes() == COMMITTED_TYPES.read_bytes(), (
        "web/src/api/schema.d.ts is not what openapi-typescript makes of the API's OpenAPI document now: "
        "run `make web-client` and commit web/src/api/schema.d.ts (then `npm run typecheck` in web/ shows what "
        "the change breaks in the app)"
    )


def test_make_web_client_reads_the_document_the_stack_serves(web_stack: StackProcess, web_http: Http) -> None:
    # Given the document the running stack serves
    served = web_http.get("/openapi.json").json()
    # When `make web-client` writes it without serving (python -m local_stack.openapi_dump)
    done = subprocess.run(
        [sys.executable, "-m", "local_stack.openapi_dump", "--server-url", web_stack.base_url],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Then it is the same document
    assert json.loads(done.stdout) == served
