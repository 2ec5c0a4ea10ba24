"""Run every benchmark and write the results into docs/benchmarks.md (`make bench`).

The results replace what lies between the two marker comments of the output file, so the prose
around them stays; a file without the markers gets the results appended. `--output -` prints only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import calendar_sync, cold_start, listing_scaling, round_trips, slots_scaling
from benchmarks._support import REPO_ROOT, TARGET_RATIO, ScalingResult, machine_description, markdown_table, ms, verdict

START = "<!-- benchmark results: start (written by `python -m benchmarks.run_all`) -->"
END = "<!-- benchmark results: end -->"
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"


def _git_revision() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "--no-optional-locks", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no")
    return f"{revision} (with uncommitted changes)" if changed else revision


def report(
    cold: cold_start.ColdStartResult,
    packaged: cold_start.ColdStartResult | None,
    trips: round_trips.RoundTripResult,
    slots: ScalingResult[slots_scaling.Scenario],
    listing: ScalingResult[listing_scaling.Scenario],
    calendar: calendar_sync.SyncResult,
    started: datetime,
) -> str:
    worst = max(cold.functions, key=cold.ratio)
    over = [m for m in trips.operations if not m.met]
    pipeline_over = [i for i in trips.pipeline if not i.met]
    summary = [
        [
            "Cold start (import + first DynamoDB client)",
            f"worst {worst.target.name}: {cold.ratio(worst):.2f} x baseline "
            f"({ms(worst.total)} vs {ms(cold.baseline.total)} ms)",
            f"<= {cold_start.TARGET_RATIO} x for every function",
            verdict(cold.all_met)
            + f" ({sum(not cold.met(r) for r in cold.functions)} of {len(cold.functions)} functions above)",
        ],
        [
            "DynamoDB round trips per operation",
            f"{len(trips.operations) - len(over)} of {len(trips.operations)} within target"
            + "".join(f"; {m.operation}: {m.count}" for m in over),
            "read <= 1, state change <= 2, calendar feed (lookup + sessions + reservations) <= 3, reservation <= 4",
            verdict(trips.operations_met),
        ],
        [
            round_trips.PIPELINE_SUMMARY,
            f"{len(trips.pipeline) - len(pipeline_over)} of {len(trips.pipeline)} within target"
            + "".join(
                f"; {i.function} ({i.trigger}): {len(i.dynamodb)} DynamoDB + {len(i.other)} other"
                for i in pipeline_over
            ),
            round_trips.PIPELINE_TARGETS,
            verdict(trips.pipeline_met),
        ],
        [
            "Slots, 5,000 vs 50 past sessions: end to end on moto",
            f"{slots.ratio:.2f} ({ms(slots.long.total)} vs {ms(slots.short.total)} ms)",
            f"<= {TARGET_RATIO}",
            verdict(slots.met),
        ],
        [
            "Slots, 5,000 vs 50 past sessions: outside moto, items read",
            f"{slots.product_ratio:.2f} ({ms(slots.long.product)} vs {ms(slots.short.product)} ms); "
            f"{slots.long.items_read} vs {slots.short.items_read} items read",
            f"<= {TARGET_RATIO}, same items read",
            verdict(slots.product_met),
        ],
        [
            "Listing, 10,000 vs 100 therapists: end to end on moto",
            f"{listing.ratio:.2f} ({ms(listing.long.total)} vs {ms(listing.short.total)} ms)",
            f"<= {TARGET_RATIO}",
            verdict(listing.met),
        ],
        [
            "Listing, 10,000 vs 100 therapists: outside moto, items read",
            f"{listing.product_ratio:.2f} ({ms(listing.long.product)} vs {ms(listing.short.product)} ms); "
            f"{listing.long.items_read} vs {listing.short.items_read} items read",
            f"<= {TARGET_RATIO}, same items read",
            verdict(listing.product_met),
        ],
        [
            f"Calendar sync, {calendar.events:,}-event feed: unchanged re-sync",
            f"304: {calendar.unchanged.claims_written} claims, {calendar.unchanged.other_written} import item "
            f"written; new ETag, same events: {calendar.restamped.claims_written} claims "
            f"(first sync: {calendar.first.claims_written:,} claims)",
            "no claim written (the import's status item only)",
            verdict(calendar.unchanged_met),
        ],
        [
            f"Calendar sync, {calendar.events:,}-event feed: slot query after",
            f"{max(s.slot_calls for s in calendar.steps)} DynamoDB call(s), "
            f"{max(s.slot_read for s in calendar.steps):,} items read; {calendar_sync.MOVED} events moved: "
            f"{calendar.changed.claims_written} claims written",
            "one Query",
            verdict(calendar.slots_met),
        ],
    ]
    if packaged is not None:
        heaviest = max(packaged.functions, key=lambda r: r.total)
        summary.insert(
            1,
            [
                "Cold start as packaged (no usable .pyc outside the standard library)",
                f"slowest {heaviest.target.name}: {ms(heaviest.total)} ms, against {ms(worst.total)} ms with bytecode",
                "none (information)",
                "",
            ],
        )
    machine = [[name, value] for name, value in machine_description()]
    machine.append(["Revision", _git_revision()])
    return "\n".join(
        [
            START,
            "",
            f"### Results of {started:%Y-%m-%d %H:%M} UTC",
            "",
            markdown_table(["", ""], machine),
            "",
            markdown_table(["benchmark", "result", "target", "verdict"], summary),
            "",
            "#### Cold start",
            "",
            cold_start.to_markdown(cold),
            "",
            *([] if packaged is None else ["##### As packaged", "", cold_start.to_markdown(packaged), ""]),
            "#### DynamoDB round trips",
            "",
            round_trips.operations_markdown(trips),
            "",
            f"#### {round_trips.PIPELINE_TITLE}",
            "",
            round_trips.pipeline_markdown(trips),
            "",
            "#### Slots and history",
            "",
            slots_scaling.to_markdown(slots),
            "",
            "#### Therapist listing",
            "",
            listing_scaling.to_markdown(listing),
            "",
            "#### Calendar sync",
            "",
            calendar_sync.to_markdown(calendar),
            "",
            END,
        ]
    )


def write(results: str, output: Path) -> None:
    text = output.read_text() if output.exists() else "# Benchmarks\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = before + results + after
    else:
        text = text.rstrip("\n") + "\n\n## Results\n\n" + results + "\n"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=15, help="cold start: fresh interpreters per target")
    parser.add_argument(
        "--packaged-repeats", type=int, default=5, help="cold start as packaged (no .pyc): interpreters, 0 skips"
    )
    parser.add_argument("--slot-calls", type=int, default=30, help="slots: timed calls per scenario")
    parser.add_argument("--listing-calls", type=int, default=30, help="listing: timed calls per scenario")
    parser.add_argument(
        "--calendar-events", type=int, default=calendar_sync.EVENTS, help="calendar sync: events in the feed"
    )
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="markdown file to update, or - to print")
    args = parser.parse_args(argv)

    started = datetime.now(UTC)
    print("cold start...", file=sys.stderr, flush=True)
    cold = cold_start.run(args.repeats, log=sys.stderr)
    packaged = None
    if args.packaged_repeats:
        print("cold start as packaged...", file=sys.stderr, flush=True)
        packaged = cold_start.run(args.packaged_repeats, log=sys.stderr, as_packaged=True)
    print("round trips...", file=sys.stderr, flush=True)
    trips = round_trips.run()
    print("slots scaling...", file=sys.stderr, flush=True)
    slots = slots_scaling.run(args.slot_calls, log=sys.stderr)
    print("listing scaling...", file=sys.stderr, flush=True)
    listing = listing_scaling.run(args.listing_calls, log=sys.stderr)
    print("calendar sync...", file=sys.stderr, flush=True)
    calendar = calendar_sync.run(args.calendar_events, log=sys.stderr)
    results = report(cold, packaged, trips, slots, listing, calendar, started)
    if args.output == "-":
        print(results)
    else:
        write(results, Path(args.output))
        print(f"results written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
