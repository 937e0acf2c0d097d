"""Run the evaluation pass now, synchronously: the same code the Celery beat entries run."""

from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from clients.isolation import each_freelancer
from clients.models import FreelancerProfile
from engagements.due import due_clients
from engagements.evaluation import evaluate
from engagements.models import Flag, Rule


class Command(BaseCommand):
    help = (
        "Evaluate the clients that are due (their next moment has come, or they were written to "
        "since their last evaluation), or with --full every client, for every freelancer (or "
        "one, with --user), and print a count per rule. A freelancer whose pass fails is logged "
        "and counted; the others go on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username of the one freelancer to evaluate")
        parser.add_argument(
            "--full",
            action="store_true",
            help="every client, due or not (what the nightly beat entry does): prints how many "
            "flags it had to correct, which should be 0",
        )

    def handle(self, *args, user=None, full=False, **options):
        profiles = FreelancerProfile.objects.all()
        if user:
            if not get_user_model().objects.filter(username=user).exists():
                raise CommandError(f"No user called {user!r}.")
            profiles = profiles.filter(user__username=user)
        raised, resolved = Counter(), Counter()
        user_ids = list(profiles.values_list("user_id", flat=True))
        if full:
            tally = each_freelancer("evaluate_flags", user_ids, evaluate)
        else:
            due = due_clients(timezone.now())
            user_ids = [u for u in user_ids if u in due]
            tally = each_freelancer(
                "evaluate_flags", user_ids, lambda u: evaluate(u, client_ids=due[u])
            )
        for outcome in tally.results:
            raised += outcome.raised
            resolved += outcome.resolved
        live = Counter(
            dict(
                Flag.objects.filter(owner_id__in=user_ids)
                .live()
                .values_list("rule")
                .annotate(n=Count("pk"))
            )
        )
        if full:
            corrected = sum(outcome.rows_written for outcome in tally.results)
            self.stdout.write(
                f"Evaluated every client of {len(tally.results)} freelancer(s): "
                f"{corrected} flag(s) corrected."
            )
        else:
            self.stdout.write(f"Evaluated the clients due of {len(tally.results)} freelancer(s).")
        if tally.failed:
            ids = ", ".join(map(str, tally.failed))
            self.stderr.write(f"{len(tally.failed)} failed (user ids {ids}): see the log.")
        self.stdout.write(f"{'rule':<28}{'live':>6}{'raised':>8}{'resolved':>10}")
        for rule in Rule:
            self.stdout.write(
                f"{rule.label:<28}{live[rule]:>6}{raised[rule]:>8}{resolved[rule]:>10}"
            )
