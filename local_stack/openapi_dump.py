"""`python -m local_stack.openapi_dump`: the OpenAPI document the local stack serves at /openapi.json, written to a
file (or stdout) without serving it. `make web-client` generates the web app's API types from it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from local_stack.openapi import merged_openapi
from local_stack.runtime import LocalStack

# The `servers` entry of the document (the stack serves its own URL there; openapi-typescript does not read it).
DEFAULT_SERVER = "http://127.0.0.1:3000"


def document(server_url: str = DEFAULT_SERVER) -> str:
    """The document as JSON text: the stack is started in this process (moto, no network, no port) and stopped."""
    stack = LocalStack()
    stack.start()
    try:
        merged = merged_openapi(stack.functions, server_url)
    finally:
        stack.stop()
    return json.dumps(merged, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack.openapi_dump", description=__doc__)
    parser.add_argument("--output", "-o", type=Path, help="the file to write (default: stdout)")
    parser.add_argument("--server-url", default=DEFAULT_SERVER, help=f"its servers URL (default {DEFAULT_SERVER})")
    args = parser.parse_args(argv)
    text = document(args.server_url)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
