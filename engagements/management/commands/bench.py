"""`make bench`: the evaluation passes and the dashboard over the benchmark data, measured.

Run against a separate benchmark database (the Makefile points DATABASE_URL at one); it loads
`seed_demo --scale 50 200 100` (1M interactions) the first time. Measured: a full pass for every
freelancer (what the nightly beat entry does), the beat's pass when nothing is new or due, and
after NEW_INTERACTIONS new messages spread over every freelancer, against one sequential read of
the log; and the dashboard against a bare page.
"""

import itertools
import json
import random
import resource
import statistics
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client
from engagements import dashboard_cache
from engagements.due import due_clients
from engagements.evaluation import evaluate
from engagements.models import Flag, Interaction

SCALE = (50, 200, 100)
DASHBOARD_USER = "bench-0001"
PAGE_RUNS = 20
NEW_INTERACTIONS = 1_000
NEW = "bench: a new message"  # their summary, to take them out again


def ensure_database() -> None:
    """Create the PostgreSQL benchmark database the first time."""
    if connection.vendor != "postgresql":
        return
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [connection.settings_dict["NAME"]]
        )
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{connection.settings_dict["NAME"]}"')


def bench_users() -> list[int]:
    return list(
        get_user_model()
        .objects.filter(username__startswith="bench-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


class Command(BaseCommand):
    help = (
        "Measure the evaluation passes and the dashboard over 50 users × 200 clients × 100 "
        "interactions (or --scale)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            nargs=3,
            type=int,
            default=SCALE,
            metavar=("USERS", "CLIENTS", "INTERACTIONS"),
        )
        parser.add_argument("--output", default=str(Path(settings.VAR_DIR) / "bench.json"))

    def handle(self, *args, scale, output, **options):
        if "bench" not in str(settings.DATABASES["default"]["NAME"]):
            raise CommandError(
                "Run me against a benchmark database (make bench does): its name must contain 'bench'."
            )
        ensure_database()
        call_command("migrate", verbosity=0)
        users = bench_users()
        if len(users) < scale[0]:
            started = time.monotonic()
            call_command("seed_demo", scale=scale, stdout=self.stdout)
            self.stdout.write(f"Loaded the benchmark data in {time.monotonic() - started:.1f} s")
            users = bench_users()
        Flag.objects.filter(owner_id__in=users).delete()  # every run measures the same first pass
        if connection.vendor == "postgresql":
            # What autovacuum does on a live server: without it (a server with autovacuum off),
            # each run's deleted flags stay as dead rows that the next pass inserts among.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE engagements_flag")

        figures = {"users": len(users)}
        figures["clients"] = Client.objects.filter(owner_id__in=users).count()
        figures["interactions"] = Interaction.objects.filter(owner_id__in=users).count()

        # Both passes judge the same moment, so the second sees exactly what the first left.
        now = timezone.now()
        queries_per_user = set()
        started = time.monotonic()
        raised = 0
        for user_id in users:
            with CaptureQueriesContext(connection) as queries:
                raised += evaluate(user_id, now=now).raised.total()
            queries_per_user.add(len(queries))
        figures["pass_seconds"] = round(time.monotonic() - started, 2)
        figures["flags"] = raised
        figures["queries_per_user"] = max(queries_per_user)

        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT client_id, direction, occurred_at FROM engagements_interaction "
                f"WHERE owner_id IN ({', '.join(['%s'] * len(users))})",
                users,
            )
            rows = 0
            while batch := cursor.fetchmany(10_000):
                rows += len(batch)
        figures["seq_read_seconds"] = round(time.monotonic() - started, 2)
        figures["pass_ratio"] = round(
            figures["pass_seconds"] / max(figures["seq_read_seconds"], 0.001), 2
        )

        figures["rerun_rows_written"] = sum(
            evaluate(user_id, now=now).rows_written for user_id in users
        )
        figures |= measure_due_passes(users, now, figures["seq_read_seconds"])
        figures["due_pass_of_full"] = round(
            figures["due_pass_seconds"] / figures["pass_seconds"], 3
        )
        figures |= measure_dashboard(DASHBOARD_USER, PAGE_RUNS)
        figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

        self.report(figures, queries_per_user, rows)
        Path(output).write_text(json.dumps(figures, indent=2) + "\n")
        self.stdout.write(f"Written to {output}")

    def report(self, f, queries_per_user, rows):
        w = self.stdout.write
        w(
            f"Evaluation pass on {connection.vendor}: {f['users']} users, {f['clients']} clients, {f['interactions']} interactions"
        )
        w(f"  flags raised            {f['flags']}")
        w(f"  full pass               {f['pass_seconds']:.2f} s   (every client of every user)")
        w(
            f"  sequential read         {f['seq_read_seconds']:.2f} s   ({rows} rows of client_id, direction, occurred_at)"
        )
        w(f"  full pass / read        {f['pass_ratio']:.2f}     (target ≤ 4)")
        w(
            f"  SQL queries per user    {sorted(queries_per_user)} (the same for every user whatever their clients)"
        )
        w(
            f"  steady beat pass        {f['steady_pass_seconds'] * 1000:.1f} ms, "
            f"{f['steady_pass_clients']} clients due: {f['steady_pass_ratio']:.4f} × the read "
            "(target ≤ 0.02)"
        )
        w(
            f"  beat pass, {NEW_INTERACTIONS} new     {f['due_pass_seconds']:.2f} s, "
            f"{f['due_pass_clients']} clients due: {f['due_pass_ratio']:.0f} × the steady pass, "
            f"{f['due_pass_of_full']:.2f} × the full pass"
        )
        w(
            f"Dashboard for {DASHBOARD_USER} ({f['dashboard_clients']} clients, {f['dashboard_flags']} live flags), "
            f"median of {PAGE_RUNS} requests each, in-process"
        )
        w(f"  bare page               {f['bare_page_ms']:.1f} ms   (/accounts/password/)")
        w(
            f"  dashboard / (refresh)   {f['dashboard_ms']:.1f} ms, {f['dashboard_queries']} SQL queries, "
            f"rows from the cache ({f['dashboard_cache']})"
        )
        w(f"  dashboard / bare        {f['dashboard_ratio']:.2f}     (target ≤ 3)")
        for change, what in (
            ("message", "a message logged to one client"),
            ("flag", "a flag written"),
            ("all", "every part replaced"),
        ):
            w(
                f"  dashboard / (changed)   {f[f'dashboard_cold_{change}_ms']:.1f} ms, "
                f"{f[f'dashboard_cold_{change}_queries']} SQL queries, after {what}: "
                f"{f[f'dashboard_cold_{change}_ratio']:.2f} × bare"
            )
        w(
            f"  changed / bare          {f['dashboard_cold_ratio']:.2f}     (target ≤ 4; the slower of "
            f"a message and a flag: {f['dashboard_cold_change']}; queries target ≤ 15)"
        )
        w(f"  peak memory             {f['peak_rss_mb']} MB")
        w(f"  second pass, no change  {f['rerun_rows_written']} rows written (target 0)")


def measure_due_passes(users: list[int], now, seq_read_seconds: float) -> dict:
    """The beat's pass (what tasks.evaluate_due has the workers do, here in one process): right
    after the full pass, with nothing new and nothing due; then after NEW_INTERACTIONS new
    messages spread over every freelancer's clients, taken out again afterwards."""

    def due_pass(at) -> tuple[float, int]:
        started = time.monotonic()
        due = due_clients(at)
        for owner_id, client_ids in due.items():
            evaluate(owner_id, client_ids=client_ids, now=at)
        return time.monotonic() - started, sum(map(len, due.values()))

    steady, steady_clients = due_pass(now)
    clients = list(
        Client.objects.filter(owner_id__in=users).order_by("pk").values_list("owner_id", "pk")
    )
    by_owner: dict[int, list[int]] = {}
    for owner_id, pk in clients:
        by_owner.setdefault(owner_id, []).append(pk)
    at, pick = timezone.now(), random.Random(NEW_INTERACTIONS)
    new = [
        Interaction(
            owner_id=owner_id,
            client_id=pick.choice(by_owner[owner_id]),
            direction=Interaction.Direction.INBOUND,
            needs_reply=n % 3 == 0,
            occurred_at=at - timedelta(minutes=n % 600),
            summary=NEW,
        )
        for n, owner_id in zip(range(NEW_INTERACTIONS), itertools.cycle(users), strict=False)
    ]
    Interaction.objects.bulk_create(new, batch_size=1000)
    after, due_clients_count = due_pass(timezone.now())
    Interaction.objects.filter(owner_id__in=users, summary=NEW).delete()
    return {
        "steady_pass_seconds": round(steady, 4),
        "steady_pass_clients": steady_clients,
        "steady_pass_ratio": round(steady / max(seq_read_seconds, 0.001), 4),
        "due_pass_seconds": round(after, 2),
        "due_pass_clients": due_clients_count,
        "due_pass_ratio": round(after / max(steady, 0.0001), 1),
    }


def measure_dashboard(username: str, runs: int) -> dict:
    """Median server time of `/` and of a bare authenticated page for one benchmark user, through
    the whole middleware stack in-process (no network), and the dashboard's query count.

    Dashboard figures: a refresh with nothing changed since the last one (what the page does
    every minute; it reads its rows from the cache), and loads right after a change, made the
    way the app makes it (the rows rewritten as they were, so that every run sees the same
    data): a message logged to one client (its ClientActivity row rewritten), a flag written
    (saved), and everything replaced (`changed()` for every part, what a change of the profile
    or a deletion does). "After a change" (dashboard_cold_*) is the slower of the first two."""
    from engagements.models import ClientActivity

    if connection.vendor == "postgresql":
        # Planner statistics, as autovacuum keeps them on a live server: without them (a freshly
        # loaded database on a server with autovacuum off) the dashboard's per-client subqueries
        # are costed so high that PostgreSQL JIT-compiles them, which alone takes ~250 ms.
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE clients_client, clients_boundaries, engagements_interaction, "
                "engagements_engagement, engagements_flag, engagements_clientactivity"
            )
    user = get_user_model().objects.get(username=username)
    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
    browser = WebClient(HTTP_HOST=host)
    browser.force_login(user)
    # One client after another: a message logged to it, or one of its flags written.
    client_ids = list(
        ClientActivity.objects.filter(owner=user)
        .order_by("client_id")
        .values_list("client_id", flat=True)
    )
    flags = list(Flag.objects.filter(owner=user).live().order_by("client_id", "pk"))
    turn = iter(range(10**9))

    def message() -> None:
        ClientActivity.refresh([client_ids[next(turn) % len(client_ids)]])

    def flag() -> None:
        flags[next(turn) % len(flags)].save(update_fields=["summary"])

    def everything() -> None:
        dashboard_cache.changed(user.pk)

    changes = {"none": None, "message": message, "flag": flag, "all": everything}

    def timed(path: str, change=None) -> float:
        if change:
            change()
        started = time.perf_counter()
        response = browser.get(path)
        if response.status_code != 200:
            raise CommandError(f"GET {path} as {username} answered {response.status_code}")
        return time.perf_counter() - started

    pages = {("/", c): [] for c in changes} | {("/accounts/password/", "none"): []}
    for path, change in pages:
        timed(path, changes[change])  # warm up: templates compiled, holidays loaded
    for _ in range(runs):  # interleaved, so that a busy machine slows them all alike
        for (path, change), times in pages.items():
            times.append(timed(path, changes[change]))
    ms = {change: statistics.median(t) * 1000 for (path, change), t in pages.items() if path == "/"}
    bare_ms = statistics.median(pages["/accounts/password/", "none"]) * 1000

    def queries(change) -> int:
        # Counted with a wrapper: CaptureQueriesContext loses them when a request starts
        # (Django clears connection.queries on request_started).
        if change:
            change()
        seen = []
        with connection.execute_wrapper(
            lambda execute, sql, *args: seen.append(sql) or execute(sql, *args)
        ):
            browser.get("/")
        return len(seen)

    cold = max(("message", "flag"), key=ms.__getitem__)
    figures = {
        "dashboard_clients": Client.objects.filter(owner=user).count(),
        "dashboard_flags": Flag.objects.filter(owner=user).live().count(),
        "dashboard_cache": str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1],
        "dashboard_ms": round(ms["none"], 1),
        "bare_page_ms": round(bare_ms, 1),
        "dashboard_ratio": round(ms["none"] / max(bare_ms, 0.001), 2),
        "dashboard_queries": queries(None),
        "dashboard_cold_change": cold,
        "dashboard_cold_ms": round(ms[cold], 1),
        "dashboard_cold_ratio": round(ms[cold] / max(bare_ms, 0.001), 2),
        "dashboard_cold_queries": queries(changes[cold]),
    }
    for change in ("message", "flag", "all"):
        figures |= {
            f"dashboard_cold_{change}_ms": round(ms[change], 1),
            f"dashboard_cold_{change}_ratio": round(ms[change] / max(bare_ms, 0.001), 2),
            f"dashboard_cold_{change}_queries": queries(changes[change]),
        }
    return figures
