"""`make fuzz`: schemathesis against the local stack, as the therapist, the client and the admin at once.

python -m tests.fuzz --seconds 600      # the issue's 10-minute run (each role fuzzes for 10 minutes)
python -m tests.fuzz --max-examples 20  # a quick look
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.fuzz import harness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--seconds", type=int, default=None, help="time budget (the roles run side by side)")
    parser.add_argument("--max-examples", type=int, default=None, help="test cases per operation and phase")
    parser.add_argument("--phases", default=",".join(harness.ALL_PHASES), help="schemathesis phases to run")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run (schemathesis prints its seed)")
    parser.add_argument("--report-dir", type=Path, default=None, help="write every request and answer (HAR) here")
    args = parser.parse_args(argv)
    max_examples = args.max_examples or (100_000 if args.seconds else harness.TEST_MAX_EXAMPLES)
    report = harness.run(
        max_examples=max_examples,
        seconds=args.seconds,
        phases=tuple(args.phases.split(",")),
        seed_value=args.seed,
        echo=True,
        report_dir=args.report_dir,
    )
    if report.stack_errors:
        print("\n===== the stack logged errors =====\n" + "\n".join(report.stack_errors))
    print("\nfuzz: " + ("no failure" if report.passed else "FAILED: see above"))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
