"""The package rules of docs/architecture.md, read from the source: what each layer may import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "layers" / "shared" / "therapy_booking"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (relative imports resolved)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def offenders(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if any(m == f or m.startswith(f"{f}.") for f in forbidden)
        )
        for path in paths
    }
    return {path: modules for path, modules in bad.items() if modules}


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        (
            "domain",
            (
                "boto3",
                "botocore",
                "pynamodb",
                "pydantic",
                "aws_lambda_powertools",
                "therapy_booking.adapters",
                "therapy_booking.api",
                "therapy_booking.settings",
                "therapy_booking.wiring",
                "therapy_booking.notifications",
            ),
        ),
        ("api", ("boto3", "botocore", "pynamodb", "therapy_booking.adapters", "therapy_booking.wiring")),
        ("notifications", ("boto3", "botocore", "pynamodb", "therapy_booking.adapters", "therapy_booking.api")),
        ("adapters", ("therapy_booking.api", "therapy_booking.wiring")),
    ],
)
def test_a_layer_imports_only_what_the_architecture_allows(layer: str, forbidden: tuple[str, ...]) -> None:
    # Given every module of the layer, when its imports are read, then none is one the layer may not use
    assert offenders(sorted((PACKAGE / layer).rglob("*.py")), forbidden) == {}


def test_no_function_imports_an_adapter() -> None:
    # Given every Lambda handler, when its imports are read, then none reaches an adapter directly
    handlers = sorted((ROOT / "functions").glob("*/app.py"))
    assert handlers
    assert offenders(handlers, ("therapy_booking.adapters", "boto3", "pynamodb")) == {}


def test_boto3_clients_are_created_in_one_module() -> None:
    # Given the package, when it is searched for what creates boto3 clients and sessions, then only
    # aws_clients.py does (PynamoDB's own connection aside)
    creators = [
        str(path.relative_to(ROOT))
        for path in sorted(PACKAGE.rglob("*.py"))
        if any(call in path.read_text() for call in ("boto3.client(", "boto3.session.Session(", "_session().client("))
    ]
    assert creators == ["layers/shared/therapy_booking/adapters/aws_clients.py"]
