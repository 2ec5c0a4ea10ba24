"""GET /therapists (the first page, default limit) with 100 and with 10,000 listed therapists.

Each scenario is a fresh moto (in-process) with the template's table and a fixed clock, one therapist
published through the API (tests.support.scenario: their profile item as `save_profile` and
`save_availability` write it, at the newcomer's rank), then N-1 more therapists written directly:
each is the same profile item (`pk THERAPIST#<id>, sk PROFILE`) with its own id, name and email, its
rank score (deterministic pseudo-random in [0.4, 0.9]) and the listing's key as the standing
projection writes them (`rank_score`, `gsi1pk` LISTED, `gsi1sk` = `rank_key(score, id)`), sent with
PynamoDB batch writes. The builder is checked against the item the API wrote.

The timed part is one request through the real handler; after warm-up calls, the median of
repeated calls is reported, split into the time spent inside moto (`BotocoreStubber`, i.e. the
emulated DynamoDB) and the rest (handler, domain, PynamoDB, botocore). The items the Query on `gsi1`
reads (its ScannedCount) show what DynamoDB itself would do. Every answer must be the first page in
descending rank score, ties by id, or the run stops. A control scenario adds unlisted therapists
(hidden profiles, no `gsi1pk`) to a short listing: what grows there grows with the table, not with
the listing.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from time import perf_counter
from typing import TYPE_CHECKING, Any

from benchmarks._support import (
    TARGET_RATIO,
    ScalingResult,
    TimedCall,
    TimedCalls,
    local_aws,
    markdown_table,
    ms,
    timed_calls,
    verdict,
)

if TYPE_CHECKING:
    from therapy_booking.adapters.dynamodb.models import TherapistItem
    from therapy_booking.domain.model import Availability, TherapistProfile

SHORT, LONG = 100, 10_000
PAGE = 20  # the route's default limit (functions/reads/app.py)
SEED = 11  # the rank scores are pseudo-random, the same in every run
SCORE_RANGE = (4_000, 9_000)  # in ten-thousandths: [0.4, 0.9], so some scores are shared (ties by id)


@dataclass
class Scenario(TimedCalls):
    label: str
    listed: int
    unlisted: int = 0
    table_items: int = 0
    therapists: int = 0
    calls: list[TimedCall] = field(default_factory=list)


def profile_item(
    therapist_id: str, profile: TherapistProfile, availability: Availability, score: Decimal | None
) -> TherapistItem:
    """The therapist's item with every attribute `save_profile` and `save_availability` set, and the rank score
    and listing key as `record_rank` writes them (None: a newcomer's key, no score yet, as `save_profile`)."""
    from therapy_booking.adapters.dynamodb.codecs import PROFILE, location_map, money_map
    from therapy_booking.adapters.dynamodb.models import (
        LISTED,
        SessionTypeMap,
        TherapistItem,
        WindowMap,
        therapist_key,
    )
    from therapy_booking.adapters.dynamodb.therapists import rank_key
    from therapy_booking.domain.model import Therapist
    from therapy_booking.domain.standing import rank
    from therapy_booking.wiring import container

    key_score = score if score is not None else rank(Therapist(therapist_id), container.settings.policy).score
    return TherapistItem(
        therapist_key(therapist_id),
        PROFILE,
        therapist_id=therapist_id,
        name=profile.name,
        email=profile.email,
        phone=profile.phone,
        sms_opt_in=profile.sms_opt_in,
        timezone=profile.timezone,
        locations=[location_map(loc) for loc in profile.locations],
        session_types=[
            SessionTypeMap(type=o.type, duration_minutes=o.duration_minutes, price=money_map(o.price))
            for o in profile.session_types
        ],
        free_initial_consultation=profile.free_initial_consultation,
        visible=profile.visible,
        country=profile.country,
        weekly=[
            WindowMap(day=w.day, start=w.start.strftime("%H:%M"), end=w.end.strftime("%H:%M"))
            for w in availability.weekly
        ],
        min_notice_hours=availability.min_notice_hours,
        horizon_days=availability.horizon_days,
        rank_score=None if score is None else float(score),
        gsi1pk=LISTED if profile.visible else None,
        gsi1sk=rank_key(key_score, therapist_id),
    )


def scores(count: int) -> list[Decimal]:
    draw = random.Random(SEED)
    return [Decimal(draw.randint(*SCORE_RANGE)).scaleb(-4) for _ in range(count)]


def load_therapists(template_id: str, listed: int, unlisted: int) -> dict[str, Decimal]:
    """Write `listed` listed and `unlisted` hidden therapists, copies of `template_id`'s profile and availability,
    with batch writes; return the listed ones' rank scores by id."""
    from dataclasses import replace

    from therapy_booking.adapters.dynamodb.models import TableItem
    from therapy_booking.adapters.dynamodb.therapists import DynamoTherapistRepository

    template = DynamoTherapistRepository().get(template_id)
    assert template is not None and template.profile is not None and template.availability is not None
    profile, availability = template.profile, template.availability
    ranked: dict[str, Decimal] = {}
    with TableItem.batch_write() as batch:
        for n, score in enumerate(scores(listed + unlisted)):
            therapist_id = f"listed-{n:05d}" if n < listed else f"hidden-{n - listed:05d}"
            own = replace(profile, name=f"Therapist {n:05d}", email=f"{therapist_id}@example.com", visible=n < listed)
            batch.save(profile_item(therapist_id, own, availability, score))
            if n < listed:
                ranked[therapist_id] = score
    return ranked


def _check_items(api: Any, caller: Any, template_id: str, written_id: str) -> None:
    """The builder writes what the API writes; a written therapist reads back through the API as a published one."""
    from therapy_booking.adapters.dynamodb.codecs import PROFILE
    from therapy_booking.adapters.dynamodb.models import TherapistItem, therapist_key
    from therapy_booking.adapters.dynamodb.therapists import DynamoTherapistRepository

    stored = TherapistItem.get(therapist_key(template_id), PROFILE)
    template = DynamoTherapistRepository().get(template_id)
    assert template is not None and template.profile is not None and template.availability is not None
    built = profile_item(template_id, template.profile, template.availability, None)
    assert built.serialize() == stored.serialize(), (built.serialize(), stored.serialize())

    published, written = api.get(f"/therapists/{template_id}", caller), api.get(f"/therapists/{written_id}", caller)
    assert published.status == 200 and written.status == 200, (published.body, written.body)
    same = {k: v for k, v in written.body.items() if k not in {"therapist_id", "name"}}
    assert same == {k: v for k, v in published.body.items() if k not in {"therapist_id", "name"}}, written.body
    assert written.body["therapist_id"] == written_id and written.body["accepting_bookings"] is True


def _check_order(page: list[str], ranked: dict[str, Decimal]) -> None:
    """The first page, in descending rank score, ties by id: else the run stops."""
    expected = sorted(ranked, key=lambda therapist_id: (-ranked[therapist_id], therapist_id))[:PAGE]
    keys = [(-ranked[therapist_id], therapist_id) for therapist_id in page]
    assert keys == sorted(keys), f"the listing is out of rank order: {keys}"
    assert page == expected, f"not the first page: {page} instead of {expected}"


def measure(scenario: Scenario, repeats: int, warmup: int, log: Any = None) -> Scenario:
    from tests.support.api import Api
    from tests.support.clock import FakeClock
    from tests.support.scenario import CLIENT, THERAPIST, publish_therapist
    from therapy_booking.domain.model import Therapist
    from therapy_booking.domain.standing import rank
    from therapy_booking.wiring import container

    clock = FakeClock()
    with local_aws(clock) as client:
        api = Api()
        publish_therapist(api, THERAPIST)
        started = perf_counter()
        ranked = load_therapists(THERAPIST.sub, scenario.listed - 1, scenario.unlisted)
        ranked[THERAPIST.sub] = rank(Therapist(THERAPIST.sub), container.settings.policy).score  # a newcomer
        _check_items(api, CLIENT, THERAPIST.sub, next(iter(ranked)))
        scenario.table_items = int(client.describe_table(TableName=os.environ["TABLE_NAME"])["Table"]["ItemCount"])
        if log is not None:
            took = perf_counter() - started
            print(f"listing: {scenario.label}: {scenario.table_items} items in {took:.1f}s", file=log)

        for answer, timing in timed_calls(lambda: api.get("/therapists", CLIENT), warmup, repeats):
            assert answer.status == 200, answer.body
            assert answer.body["next_cursor"], answer.body
            _check_order([t["therapist_id"] for t in answer.body["items"]], ranked)
            if timing is not None:
                scenario.therapists = len(answer.body["items"])
                scenario.calls.append(timing)
    return scenario


def run(repeats: int = 30, warmup: int = 3, control: bool = True, log: Any = None) -> ScalingResult[Scenario]:
    short = measure(Scenario(f"{SHORT} listed therapists", SHORT), repeats, warmup, log)
    long = measure(Scenario(f"{LONG:,} listed therapists", LONG), repeats, warmup, log)
    other = None
    if control:
        other = measure(
            Scenario(f"control: {SHORT} listed, {LONG - SHORT:,} unlisted (hidden)", SHORT, LONG - SHORT),
            repeats,
            warmup,
            log,
        )
    return ScalingResult(repeats, short, long, other)


def to_markdown(result: ScalingResult[Scenario]) -> str:
    scenarios = [result.short, result.long] + ([result.control] if result.control else [])
    rows = [
        [
            s.label,
            f"{s.table_items:,}",
            s.dynamodb_calls,
            s.items_read,
            s.items_returned,
            s.therapists,
            ms(s.total),
            ms(s.store),
            ms(s.product),
        ]
        for s in scenarios
    ]
    return "\n".join(
        [
            f"GET /therapists, the first page (default limit, {PAGE}), in descending rank score (checked on every "
            f"call); medians of {result.repeats} calls per scenario.",
            "",
            markdown_table(
                [
                    "scenario",
                    "items in table",
                    "DynamoDB calls",
                    "items read (ScannedCount)",
                    "items returned (Count)",
                    "therapists",
                    "total (ms)",
                    "in moto (ms)",
                    "outside moto (ms)",
                ],
                rows,
            ),
            "",
            f"- End to end on moto, {LONG:,} vs {SHORT}: ratio {result.ratio:.2f} "
            f"(target <= {TARGET_RATIO}): {verdict(result.met)}.",
            f"- Outside moto (handler, domain, PynamoDB, botocore), with the same items read: ratio "
            f"{result.product_ratio:.2f}: {verdict(result.product_met)}.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per scenario (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first (default 3)")
    parser.add_argument("--no-control", action="store_true", help="skip the unlisted-therapists control scenario")
    args = parser.parse_args(argv)
    print(to_markdown(run(args.repeats, args.warmup, not args.no_control, log=sys.stderr)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
