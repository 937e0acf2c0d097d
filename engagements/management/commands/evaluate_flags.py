"""Run the evaluation pass now, synchronously: the same code the Celery beat entry runs."""

from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from clients.isolation import each_freelancer
from clients.models import FreelancerProfile
from engagements.evaluation import evaluate
from engagements.models import Flag, Rule


class Command(BaseCommand):
    help = (
        "Evaluate every rule for every freelancer (or one, with --user) and print a count per "
        "rule. A freelancer whose pass fails is logged and counted; the others go on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username of the one freelancer to evaluate")

    def handle(self, *args, user=None, **options):
        profiles = FreelancerProfile.objects.all()
        if user:
            if not get_user_model().objects.filter(username=user).exists():
                raise CommandError(f"No user called {user!r}.")
            profiles = profiles.filter(user__username=user)
        raised, resolved = Counter(), Counter()
        user_ids = list(profiles.values_list("user_id", flat=True))
        tally = each_freelancer("evaluate_flags", user_ids, evaluate)
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
        self.stdout.write(f"Evaluated {len(tally.results)} freelancer(s).")
        if tally.failed:
            ids = ", ".join(map(str, tally.failed))
            self.stderr.write(f"{len(tally.failed)} failed (user ids {ids}): see the log.")
        self.stdout.write(f"{'rule':<28}{'live':>6}{'raised':>8}{'resolved':>10}")
        for rule in Rule:
            self.stdout.write(
                f"{rule.label:<28}{live[rule]:>6}{raised[rule]:>8}{resolved[rule]:>10}"
            )
