"""Demo data: the `demo` account (8 clients, 8 weeks of history), or bulk benchmark users."""

import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from clients.models import Boundaries, Client, Contact, DayOff, FreelancerProfile, WorkingWindow
from clients.sql import copy_into
from engagements.evaluation import evaluate
from engagements.models import (
    ChangeRecord,
    ClientActivity,
    Engagement,
    Expectation,
    HealthSnapshot,
    Interaction,
)
from engagements.signals import demo_account_seeded

DEMO_USERNAME = DEMO_PASSWORD = "demo"
IN, OUT = Interaction.Direction.INBOUND, Interaction.Direction.OUTBOUND
K = Interaction.Kind

# name, organisation, zone, channels, what makes this client interesting in the demo
DEMO_CLIENTS = [
    ("Acme Robotics", "Acme Robotics Inc.", "America/New_York", ["email", "video"], "reply_owed"),
    ("Kiwi Studio", "Kiwi Studio Ltd", "Pacific/Auckland", ["email", "chat"], "healthy"),
    ("Samoa Tourism Board", "STB", "Pacific/Apia", ["email"], "quiet"),
    ("Bright Ledger", "Bright Ledger plc", "Europe/London", ["email", "chat"], "after_hours"),
    ("Hartmann GmbH", "Hartmann Maschinenbau", "Europe/Berlin", ["email", "phone"], "hostile"),
    ("Harbour Events", "Sydney Harbour Events", "Australia/Sydney", ["email", "video"], "overdue"),
    ("Lotus Payments", "Lotus Payments Pvt Ltd", "Asia/Kolkata", ["email", "video"], "waiting"),
    ("Himal Treks", "Himal Treks", "Asia/Kathmandu", ["email"], "undocumented"),
]


class Command(BaseCommand):
    help = "Create the demo/demo account with 8 clients, or with --scale bulk benchmark users."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            nargs=3,
            type=int,
            metavar=("USERS", "CLIENTS", "INTERACTIONS"),
            help="Bulk-create USERS users × CLIENTS clients × INTERACTIONS interactions (benchmarks).",
        )

    def handle(self, *args, scale=None, **options):
        if scale:
            return self.seed_scale(*scale)
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates a demo/demo login; it refuses to run with DEBUG off."
            )
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            if options["verbosity"]:
                self.stdout.write("The demo account is already there; nothing changed.")
            return
        now = timezone.now()
        with transaction.atomic():
            counts = seed_demo_account(User, now)
            demo_account_seeded.send(
                sender=type(self), user=User.objects.get(username=DEMO_USERNAME), now=now
            )
        raised = evaluate(User.objects.get(username=DEMO_USERNAME).pk, now=now).raised.total()
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created the demo account (log in as demo / demo): {counts}, {raised} flags."
                )
            )

    def seed_scale(self, users: int, clients: int, interactions: int):
        if min(users, clients, interactions) < 1:
            raise CommandError("--scale takes three positive numbers: USERS CLIENTS INTERACTIONS.")
        started = clock.monotonic()
        User = get_user_model()
        existing = set(
            User.objects.filter(username__startswith="bench-").values_list("username", flat=True)
        )
        todo = [f"bench-{n:04d}" for n in range(1, users + 1) if f"bench-{n:04d}" not in existing]
        now = timezone.now()
        for i, username in enumerate(todo, 1):
            with transaction.atomic():
                seed_bench_user(User, username, clients, interactions, now, random.Random(username))
            self.stdout.write(
                f"  {username}: {clients} clients, {clients * interactions} interactions ({i}/{len(todo)})"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(todo)} benchmark users created, {users - len(todo)} already there, "
                f"in {clock.monotonic() - started:.1f} s."
            )
        )


def make_profile(user, zone: str, windows, *, country="", subdiv="") -> FreelancerProfile:
    profile = FreelancerProfile.objects.create(
        user=user,
        timezone=zone,
        timezone_set=True,
        onboarded_at=timezone.now(),
        holiday_country=country,
        holiday_subdiv=subdiv,
    )
    WorkingWindow.objects.bulk_create(
        WorkingWindow(profile=profile, weekday=d, start=s, end=e) for d, s, e in windows
    )
    return profile


def split_shift_week():
    """Mon–Thu 09:00–12:30 and 13:30–17:30, Friday 09:00–14:00."""
    week = [(d, time(9), time(12, 30)) for d in range(4)] + [
        (d, time(13, 30), time(17, 30)) for d in range(4)
    ]
    return week + [(4, time(9), time(14))]


def insert_interactions(rows: list[Interaction], calendar) -> None:
    """Bulk-insert, deriving out_of_hours as Interaction.save() would."""
    for row in rows:
        row.out_of_hours = not calendar.is_working(row.occurred_at)
    if connection.vendor == "postgresql" and len(rows) > 5000:
        copy_interactions(rows)
        ClientActivity.refresh({r.client_id for r in rows})
    else:
        Interaction.objects.bulk_create(rows, batch_size=2000)


def copy_interactions(rows: list[Interaction]) -> None:
    """PostgreSQL COPY: an order of magnitude faster than INSERT for benchmark volumes. Every
    concrete column is written, from the model's fields, so that a new one cannot be missed."""
    fields = [f for f in Interaction._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    for r in rows:
        if r.created_at is None:
            r.created_at = now
    copy_into(
        Interaction._meta.db_table, fields, ([getattr(r, f.attname) for f in fields] for r in rows)
    )


def seed_demo_account(User, now: datetime) -> str:
    user = User.objects.create_user(
        DEMO_USERNAME, "demo@example.com", DEMO_PASSWORD, first_name="Dana"
    )
    profile = make_profile(user, "Europe/Berlin", split_shift_week(), country="DE", subdiv="BE")
    today = now.astimezone(profile.zone).date()
    DayOff.objects.create(
        profile=profile, date=today + timedelta(days=17), note="Dentist and a long weekend"
    )
    calendar = profile.calendar()
    rng = random.Random(20261125)
    rows, n_clients = [], 0
    for name, org, zone, channels, story in DEMO_CLIENTS:
        client = Client.objects.create(owner=user, name=name, organisation=org, timezone=zone)
        Boundaries.objects.create(
            client=client,
            **{
                **Boundaries.defaults_from(profile),
                "agreed_channels": channels,
                "reply_window_hours": 8 if story != "hostile" else 16,
                "confirmed_in_writing_at": None
                if story == "undocumented"
                else now - timedelta(days=60),
                "confirmed_reference": "" if story == "undocumented" else "Kick-off email",
            },
        )
        Contact.objects.create(
            client=client,
            name=f"{name.split()[0]} contact",
            email=f"hello@{name.split()[0].lower()}.example",
            role="Project lead",
        )
        engagement = Engagement.objects.create(
            client=client,
            title=f"{name.split()[0]} website refresh",
            goals="Launch the new site",
            scope="Design and build 6 pages",
            start=today - timedelta(days=70),
            end=today + timedelta(days=40),
        )
        rows += history(
            client, engagement, now, rng, profile.zone, quiet=story in ("quiet", "waiting")
        )
        rows += story_interactions(story, client, engagement, now, profile.zone)
        rows += keeping_in_touch(story, client, engagement, now, calendar)
        story_expectations(story, engagement, today, now)
        n_clients += 1
    insert_interactions(rows, calendar)
    Client.objects.filter(owner=user).update(created_at=now - timedelta(days=70))
    seed_health_history(user, now.astimezone(profile.zone).date())
    return f"{n_clients} clients, {len(rows)} interactions"


# Seven past weeks of health, oldest first: Hartmann has been red for three (walk away?),
# Bright Ledger is sliding into amber, the rest are steady.
HEALTH_HISTORY = {
    "Hartmann GmbH": [72, 66, 58, 49, 38, 33, 29],
    "Bright Ledger": [88, 85, 80, 76, 71, 66, 61],
}


def seed_health_history(user, today: date) -> None:
    monday = today - timedelta(days=today.weekday())
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(
            owner=user,
            client=client,
            week=monday - timedelta(weeks=7 - n),
            score=score,
            taken_at=datetime.combine(monday - timedelta(weeks=7 - n), time(9), tzinfo=UTC),
        )
        for client in Client.objects.filter(owner=user)
        for n, score in enumerate(HEALTH_HISTORY.get(client.name, [90, 86, 91, 88, 84, 89, 87]))
    )


def working_time_ago(calendar, now: datetime, amount: timedelta) -> datetime:
    """The latest moment with `amount` of working time between it and now."""
    at = now
    while calendar.working_time_between(at, now) < amount:
        at -= timedelta(minutes=15)
    return at


def keeping_in_touch(story, client, engagement, now, calendar) -> list[Interaction]:
    """Recent updates and check-ins for the clients whose story is not about lapsed contact;
    Acme is also owed a reply that has used most of its window."""

    def make(direction, when, kind, summary):
        return Interaction(
            client=client,
            owner_id=client.owner_id,
            engagement=engagement,
            direction=direction,
            channel="video" if kind == K.CHECK_IN else "email",
            occurred_at=when,
            kind=kind,
            summary=summary,
            needs_reply=direction == IN,
        )

    if story == "reply_owed":
        asked = working_time_ago(calendar, now, timedelta(hours=6, minutes=30))
        request = make(IN, asked, K.REQUEST, "Can you send the launch checklist?")
        request.concern = "Worried that the launch date slips"
        return [request]
    rows = []
    if story == "healthy":
        approval = make(
            IN,
            working_time_ago(calendar, now, timedelta(hours=12)),
            K.APPROVAL,
            "Love the new homepage",
        )
        approval.tone, approval.needs_reply = "positive", False
        rows.append(approval)
    if story not in ("quiet", "waiting"):
        rows.append(
            make(
                OUT,
                working_time_ago(calendar, now, timedelta(hours=30)),
                K.CHECK_IN,
                "Check-in call",
            )
        )
    if story in ("healthy", "after_hours", "undocumented"):
        rows.append(
            make(
                OUT,
                working_time_ago(calendar, now, timedelta(hours=9)),
                K.PROGRESS_UPDATE,
                "Weekly update",
            )
        )
    return rows


def at_local(now: datetime, zone, days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = now.astimezone(zone).date() - timedelta(days=days_ago)
    return min(datetime.combine(day, time(hour, minute), tzinfo=zone), now - timedelta(minutes=5))


def history(client, engagement, now, rng, zone, *, quiet: bool) -> list[Interaction]:
    """Eight weeks of ordinary back-and-forth in the freelancer's working hours."""
    rows = []
    last_day = 21 if quiet else 3
    for days_ago in range(56, last_day, -1):
        day = (now - timedelta(days=days_ago)).astimezone(zone)
        if day.weekday() >= 5 or rng.random() < 0.55:
            continue
        asked = at_local(
            now,
            zone,
            days_ago,
            rng.choice(
                [9, 10, 11] if day.weekday() == 4 else [9, 10, 14, 15]
            ),  # replies stay in hours
            rng.choice([0, 15, 30]),
        )
        rows.append(
            Interaction(
                client=client,
                owner_id=client.owner_id,
                engagement=engagement,
                direction=IN,
                channel="email",
                occurred_at=asked,
                kind=K.REQUEST,
                needs_reply=True,
                summary=rng.choice(
                    [
                        "Question about the navigation",
                        "Can we move the logo?",
                        "Feedback on the draft",
                        "Copy for the about page",
                    ]
                ),
            )
        )
        rows.append(
            Interaction(
                client=client,
                owner_id=client.owner_id,
                engagement=engagement,
                direction=OUT,
                channel="email",
                occurred_at=asked + timedelta(minutes=rng.choice([30, 45, 60])),
                kind=K.PROGRESS_UPDATE if rng.random() < 0.5 else K.OTHER,
                summary="Answered and shared progress",
            )
        )
        if days_ago % 14 == 0:
            rows.append(
                Interaction(
                    client=client,
                    owner_id=client.owner_id,
                    engagement=engagement,
                    direction=OUT,
                    channel="video",
                    occurred_at=asked + timedelta(minutes=140),
                    kind=K.CHECK_IN,
                    summary="Fortnightly check-in call",
                    tone="positive",
                )
            )
    return rows


def story_interactions(story, client, engagement, now, my_zone) -> list[Interaction]:
    """The recent events that make each demo client's rule fire."""

    def make(direction, when, **kw):
        return Interaction(
            client=client,
            owner_id=client.owner_id,
            engagement=engagement,
            direction=direction,
            occurred_at=when,
            **{"channel": "email", "summary": "", **kw},
        )

    mine = lambda days_ago, hour, minute=0: at_local(now, my_zone, days_ago, hour, minute)  # noqa: E731
    if story == "after_hours":
        return [
            make(
                IN,
                mine(d, h, 10),
                channel="chat",
                kind=K.REQUEST,
                needs_reply=False,
                summary="Quick one before tomorrow's board meeting",
                tone="tense",
            )
            for d, h in ((12, 22), (9, 21), (6, 23), (3, 22), (1, 20))
        ] + [make(OUT, mine(1, 23, 40), kind=K.OTHER, summary="Answered late at night (again)")]
    if story == "hostile":
        return [
            make(
                IN,
                now - timedelta(days=20),
                tone="hostile",
                kind=K.COMPLAINT,
                summary="This is unacceptable, we are paying you for this",
                concern="Budget pressure from the board",
            ),
            make(
                IN,
                now - timedelta(days=2),
                channel="sms",
                tone="hostile",
                kind=K.COMPLAINT,
                summary="Answer your phone. Now.",
                needs_reply=True,
                concern="Their own deadline moved",
            ),
        ]
    if story == "overdue":
        return [
            make(
                IN,
                now - timedelta(days=4),
                kind=K.REQUEST,
                summary="Where is the event microsite?",
                tone="tense",
            )
        ]
    if story == "waiting":
        return [
            make(
                OUT,
                now - timedelta(days=12),
                kind=K.REQUEST,
                summary="Sent the wireframes, waiting for feedback",
            )
        ]
    if story == "undocumented":
        return [
            make(
                IN,
                now - timedelta(days=5),
                channel="email",
                kind=K.REQUEST,
                summary="On the phone we agreed to add a booking form",
                needs_reply=False,
            )
        ]
    return []


def story_expectations(story, engagement, today: date, now: datetime) -> None:
    E = Expectation
    E.objects.create(
        engagement=engagement,
        title="Final handover",
        due=today + timedelta(days=35),
        confirmed_in_writing=True,
        confirmed_reference="Contract §4",
        created_at=now - timedelta(days=60),
    )
    if story == "overdue":
        E.objects.create(
            engagement=engagement,
            title="Event microsite",
            due=today - timedelta(days=3),
            status=E.Status.IN_PROGRESS,
            confirmed_in_writing=True,
            created_at=now - timedelta(days=30),
        )
        E.objects.create(
            engagement=engagement,
            title="Speaker page",
            due=today + timedelta(days=1),
            confirmed_in_writing=True,
            created_at=now - timedelta(days=20),
        )
    elif story == "waiting":
        E.objects.create(
            engagement=engagement,
            title="Feedback on wireframes",
            kind=E.Kind.FEEDBACK,
            owed_by="client",
            due=today - timedelta(days=5),
            confirmed_in_writing=True,
            created_at=now - timedelta(days=14),
        )
    elif story == "undocumented":
        # Agreed on the phone five days ago and never put in writing. History is written as it
        # happened, so the change records carry their own (past) time.
        agreed = now - timedelta(days=5)
        booking = E.objects.create(
            engagement=engagement,
            title="Booking form",
            due=today + timedelta(days=14),
            created_at=agreed,
        )
        Engagement.objects.filter(pk=engagement.pk).update(
            scope=engagement.scope + " + a booking form"
        )
        common = dict(client=engagement.client, requested_by="client", changed_at=agreed)
        ChangeRecord.objects.create(
            **common,
            engagement=engagement,
            expectation=booking,
            subject="expectation",
            field="due",
            from_value=(today + timedelta(days=10)).isoformat(),
            to_value=booking.due.isoformat(),
        )
        ChangeRecord.objects.create(
            **common,
            engagement=engagement,
            subject="engagement",
            field="scope",
            from_value=engagement.scope,
            to_value=engagement.scope + " + a booking form",
        )
    elif story == "reply_owed":
        E.objects.create(
            engagement=engagement,
            title="Launch checklist",
            due=today + timedelta(days=6),
            status=E.Status.IN_PROGRESS,
            confirmed_in_writing=True,
            created_at=now - timedelta(days=10),
        )


def seed_bench_user(User, username, n_clients, n_interactions, now, rng) -> None:
    """One benchmark user: clients with boundaries, an engagement, two expectations and history."""
    user = User.objects.create_user(username, f"{username}@example.com")  # unusable password
    zone = rng.choice(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"])
    profile = make_profile(
        user, zone, split_shift_week(), country="DE" if zone == "Europe/Berlin" else ""
    )
    calendar = profile.calendar()
    clients = Client.objects.bulk_create(
        Client(
            owner=user,
            name=f"Client {n:04d}",
            organisation=f"Org {n}",
            timezone=rng.choice(
                [
                    "Europe/London",
                    "America/Chicago",
                    "Asia/Tokyo",
                    "Pacific/Auckland",
                    "Europe/Berlin",
                ]
            ),
        )
        for n in range(n_clients)
    )
    defaults = Boundaries.defaults_from(profile)
    defaults["agreed_channels"] = ["email", "chat"]
    Boundaries.objects.bulk_create(Boundaries(client=c, owner=user, **defaults) for c in clients)
    engagements = Engagement.objects.bulk_create(
        Engagement(client=c, owner=user, title="Retainer", start=now.date() - timedelta(days=90))
        for c in clients
    )
    today = now.date()
    Expectation.objects.bulk_create(
        Expectation(
            engagement=e,
            client_id=e.client_id,
            owner=user,
            title=title,
            owed_by=party,
            due=today + timedelta(days=rng.randint(-10, 20)),
            confirmed_in_writing=rng.random() < 0.8,
        )
        for e in engagements
        for title, party in (("Milestone", "freelancer"), ("Feedback", "client"))
    )
    span = timedelta(days=56).total_seconds()
    rows = []
    for client, engagement in zip(clients, engagements, strict=True):
        for i in range(n_interactions):
            inbound = i % 2 == 0
            when = now - timedelta(seconds=rng.random() * span)
            if rng.random() < 0.85:  # most contact happens in working hours
                start = calendar.next_working_start(when)
                if start is not None and start < now - timedelta(hours=1):
                    when = start + timedelta(minutes=rng.randint(0, 59))
            rows.append(
                Interaction(
                    owner_id=user.pk,
                    client_id=client.pk,
                    engagement_id=engagement.pk,
                    direction=IN if inbound else OUT,
                    channel=rng.choices(["email", "chat", "phone", "sms"], weights=[60, 30, 5, 5])[
                        0
                    ],
                    occurred_at=when,
                    summary="Benchmark message",
                    kind=rng.choice([K.REQUEST, K.PROGRESS_UPDATE, K.CHECK_IN, K.OTHER]),
                    needs_reply=inbound and rng.random() < 0.4,
                    tone="hostile" if rng.random() < 0.002 else "neutral",
                    concern="",
                )
            )
    insert_interactions(rows, calendar)
