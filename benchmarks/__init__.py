"""Benchmarks run on demand (`make bench`), never part of the test suite.

- `cold_start`: import of each function module plus its first DynamoDB client, in a fresh interpreter,
  against `import boto3; boto3.client("dynamodb")`.
- `round_trips`: DynamoDB calls per API operation, through the real handlers on moto.
- `slots_scaling`: GET /therapists/{id}/slots with a short and a long history of past sessions.
- `listing_scaling`: GET /therapists (the first page) with 100 and with 10,000 listed therapists.
- `calendar_sync`: an imported calendar of 5,000 events: first sync, re-syncs, the slot query after.
- `run_all`: all five, results written to docs/benchmarks.md.
"""

import sys
from pathlib import Path

# The shared layer's package, importable as it is in Lambda (/opt/python) and under pytest (pyproject pythonpath).
_LAYER = str(Path(__file__).resolve().parents[1] / "layers" / "shared")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)
