"""The due passes leave exactly the flags a full pass would (engagements/due.py).

Hypothesis generates histories (messages logged, corrected and deleted, expectations made,
started, finished and confirmed, flags snoozed, acknowledged and resolved, hours, days off,
reply windows, thresholds and clients' status changed, health snapshots taken) with time passing
between the steps, and steps where only time passes. After each step the beat's due pass runs, as it would, over the clients that
are due; then a full pass, in a savepoint rolled back afterwards, must find nothing to correct:
the same live flags, not one row written. Nor may a full pass just before the first moment the
due pass stored: nothing changes by itself before then.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client, DayOff, FreelancerProfile, WorkingWindow
from engagements import documentation, snapshots
from engagements.due import due_clients
from engagements.evaluation import evaluate
from engagements.models import ClientActivity, Expectation, Flag, Interaction
from engagements.services import evaluate_soon, log_interaction
from tests.factories import ClientFactory, EngagementFactory, ExpectationFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 23, 7, 0, tzinfo=UTC)  # a Monday, the week before summer time
IN, OUT = Interaction.Direction.INBOUND, Interaction.Direction.OUTBOUND
HOURS = [  # presets: office hours, a split week with Saturdays, nights across midnight
    [(d, time(9), time(17)) for d in range(5)],
    [(d, time(8), time(12)) for d in range(6)] + [(d, time(13), time(18)) for d in range(5)],
    [(d, time(22), time(6)) for d in range(7)],
]
PASSES = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(hours=1),
    timedelta(hours=5),
    timedelta(hours=17),
    timedelta(days=1),
    timedelta(days=3),
    timedelta(days=8),
]


class World:
    """One freelancer (Berlin, Mon–Fri 09–17) with three clients, each with an engagement."""

    def __init__(self, now: datetime):
        self.user = UserFactory()
        self.profile = FreelancerProfile.for_user(self.user)
        self.profile.timezone = "Europe/Berlin"
        self.profile.save()
        self.clients = [
            ClientFactory(owner=self.user, created_at=now - timedelta(days=d)) for d in (3, 12, 40)
        ]
        for c in self.clients[:2]:
            EngagementFactory(client=c, start=(now - timedelta(days=20)).date())

    def client(self, n: int) -> Client:
        return Client.objects.get(pk=self.clients[n % len(self.clients)].pk)

    def flag(self, client: Client, n: int) -> Flag | None:
        flags = list(Flag.objects.filter(client=client).live().order_by("pk"))
        return flags[n % len(flags)] if flags else None

    def interaction(self, client: Client, n: int) -> Interaction | None:
        rows = list(Interaction.objects.filter(client=client).order_by("pk"))
        return rows[n % len(rows)] if rows else None

    def expectation(self, client: Client, n: int) -> Expectation | None:
        rows = list(Expectation.objects.filter(client=client).order_by("pk"))
        return rows[n % len(rows)] if rows else None


def inbound(w: World, c: Client, n: int, now: datetime) -> None:
    log_interaction(
        client=c,
        direction=IN,
        kind=Interaction.Kind.REQUEST,
        needs_reply=n % 2 == 0,
        tone=Interaction.Tone.HOSTILE if n % 3 == 0 else Interaction.Tone.NEUTRAL,
        channel=["email", "phone", "video"][n % 3],
        occurred_at=now - timedelta(minutes=n % 900),
    )


def outbound(w: World, c: Client, n: int, now: datetime) -> None:
    kinds = [Interaction.Kind.PROGRESS_UPDATE, Interaction.Kind.CHECK_IN, Interaction.Kind.OTHER]
    log_interaction(
        client=c,
        direction=OUT,
        kind=kinds[n % 3],
        script="boundary" if n % 4 == 0 else "",
        occurred_at=now - timedelta(minutes=n % 300),
    )


def corrected(w: World, c: Client, n: int, now: datetime) -> None:
    if interaction := w.interaction(c, n):
        interaction.occurred_at = now - timedelta(minutes=n % 5000)
        interaction.save()


def deleted(w: World, c: Client, n: int, now: datetime) -> None:
    if interaction := w.interaction(c, n):
        interaction.delete()


def expected(w: World, c: Client, n: int, now: datetime) -> None:
    engagement = c.engagements.first() or EngagementFactory(client=c, start=now.date())
    ExpectationFactory(
        engagement=engagement,
        owed_by=["freelancer", "client"][n % 2],
        due=now.astimezone(BERLIN).date() + timedelta(days=n % 9 - 2),
        created_at=now - timedelta(hours=n % 50),
    )


def progressed(w: World, c: Client, n: int, now: datetime) -> None:
    if expectation := w.expectation(c, n):
        expectation.status = list(Expectation.Status)[n % 4]
        expectation.save()


def confirmed(w: World, c: Client, n: int, now: datetime) -> None:
    if expectation := w.expectation(c, n):
        documentation.confirm_expectation(expectation, "their email", now)


def snoozed(w: World, c: Client, n: int, now: datetime) -> None:
    if flag := w.flag(c, n):
        flag.snooze(now + timedelta(minutes=30 + n % 600), "later", now)


def acknowledged(w: World, c: Client, n: int, now: datetime) -> None:
    if flag := w.flag(c, n):
        flag.acknowledge(now)


def resolved(w: World, c: Client, n: int, now: datetime) -> None:
    if flag := w.flag(c, n):
        flag.resolve("done", now)


def hours_changed(w: World, c: Client, n: int, now: datetime) -> None:
    """As the working-hours page saves them: replaced in bulk, then evaluate_soon."""
    w.profile.working_windows.all().delete()
    WorkingWindow.objects.bulk_create(
        WorkingWindow(profile=w.profile, weekday=d, start=s, end=e) for d, s, e in HOURS[n % 3]
    )
    evaluate_soon(w.user.pk)


def day_off(w: World, c: Client, n: int, now: datetime) -> None:
    day = now.astimezone(BERLIN).date() + timedelta(days=n % 5)
    DayOff.objects.get_or_create(profile=w.profile, date=day)


def window_changed(w: World, c: Client, n: int, now: datetime) -> None:
    c.boundaries.reply_window_hours = [2, 8, 24][n % 3]
    c.boundaries.save()


def status_changed(w: World, c: Client, n: int, now: datetime) -> None:
    c.status = [Client.Status.ACTIVE, Client.Status.PAUSED, Client.Status.ENDED][n % 3]
    c.save()


def thresholds_changed(w: World, c: Client, n: int, now: datetime) -> None:
    w.profile.reply_warning_percent = [50, 75, 90][n % 3]
    w.profile.boundary_pattern_count = [2, 3][n % 2]
    w.profile.save()


def snapshot_taken(w: World, c: Client, n: int, now: datetime) -> None:
    snapshots.take_weekly_snapshot(w.user.pk, now)


def quiet(w: World, c: Client, n: int, now: datetime) -> None:
    """Nothing is written: only time passes, which is where a missed moment would show."""


STEPS = [  # repeated to be drawn more often
    *[quiet] * 6,
    inbound,
    inbound,
    inbound,
    outbound,
    outbound,
    corrected,
    deleted,
    expected,
    progressed,
    confirmed,
    snoozed,
    snoozed,
    acknowledged,
    resolved,
    hours_changed,
    day_off,
    window_changed,
    status_changed,
    thresholds_changed,
    snapshot_taken,
]


def live_flags(owner_id: int, client_id: int | None = None) -> list[tuple]:
    flags = Flag.objects.filter(owner_id=owner_id)
    if client_id is not None:
        flags = flags.filter(client_id=client_id)
    return sorted(
        flags.live().values_list(
            "rule", "subject", "severity", "state", "since", "warn_at", "breach_at", "snoozed_until"
        )
    )


class RolledBack(Exception):
    pass


def full_pass_in_a_savepoint(
    owner_id: int, now: datetime, client_id: int | None = None
) -> tuple[int, list[tuple]]:
    """What a full pass would write and leave live (of one client), without keeping it."""
    try:
        with transaction.atomic():
            outcome = evaluate(owner_id, now=now)
            result = outcome.rows_written, live_flags(owner_id, client_id)
            raise RolledBack
    except RolledBack:
        return result


def just_before_the_next_moment(activity, now: datetime) -> datetime:
    """Just before the first moment stored for these clients (or a month on)."""
    moments = activity.filter(due_at__isnull=False).values_list("due_at", flat=True)
    return min(moments, default=now + timedelta(days=30)) - timedelta(microseconds=1)


def due_pass(owner_id: int, now: datetime) -> None:
    """The beat's pass, for this freelancer."""
    if clients := due_clients(now).get(owner_id):
        evaluate(owner_id, client_ids=clients, now=now)


history = st.lists(
    st.tuples(
        st.sampled_from(STEPS),
        st.sampled_from([0, 0, 0, 1, 2]),  # mostly the one client, so that its moments matter
        st.integers(0, 10_000),
        st.sampled_from(PASSES),
    ),
    min_size=1,
    max_size=20,
)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=history)
def test_the_due_passes_leave_what_a_full_pass_would(postgres, history):
    with time_machine.travel(START, tick=False) as clock:
        now = START
        w = World(now)
        due_pass(w.user.pk, now)
        done = []
        for step, client, n, passes in history:
            c = w.client(client)
            step(w, c, n, now)
            done.append(f"{now:%a %d %H:%M} {step.__name__}(client {client}, {n}), then {passes}")
            now += passes
            clock.move_to(now)
            due_pass(w.user.pk, now)
            before = live_flags(w.user.pk)
            written, after = full_pass_in_a_savepoint(w.user.pk, now)
            assert (written, after) == (0, before), "\n".join(done)
            # Nothing changes by itself before the first moment stored, the freelancer's or the
            # client's.
            activity = ClientActivity.objects.filter(owner_id=w.user.pk)
            probe = just_before_the_next_moment(activity, now)
            written, after = full_pass_in_a_savepoint(w.user.pk, probe)
            assert (written, after) == (0, before), f"at {probe}, after\n" + "\n".join(done)
            probe = just_before_the_next_moment(activity.filter(client_id=c.pk), now)
            _, after = full_pass_in_a_savepoint(w.user.pk, probe, c.pk)
            assert after == live_flags(w.user.pk, c.pk), f"at {probe}, after\n" + "\n".join(done)
