"""The dashboard at `/`: what the freelancer owes, the open flags, the clients, a quick log.

One view serves the page and its fragments (`dashboard/dashboard.html#live` and friends, chosen
by the HX-Target of an htmx request). It runs a fixed number of queries whatever the number of
clients and flags: see engagements/selectors.py and tests/engagements/test_dashboard.py.

Long sections show their first rows (most pressing first) and a link to all of them:
`?all=owed`, `?all=flags`, `?all=clients` (repeatable), kept by the refresh and the flag forms.
"""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join

from clients import scripts
from clients.models import Client
from engagements import selectors, sender
from engagements.forms import DATETIME_LOCAL, InteractionForm
from engagements.rules import Thresholds
from engagements.views import wording

TEMPLATE = "dashboard/dashboard.html"
# Fragments an htmx request may ask for by its target's id; anything else gets "live".
FRAGMENTS = {"live", "now", "owed", "flags", "clients", "log-form"}
SECTIONS = ("owed", "flags", "clients")


def dashboard(request):
    template = TEMPLATE
    if request.htmx:
        target = request.htmx.target
        template += "#" + (target if target in FRAGMENTS else "live")
    context = dashboard_context(request, expanded(request))
    if not request.htmx or request.htmx.target == "log-form":
        context["form"] = InteractionForm(owner=request.user, client_rows=context["client_rows"])
    return render(request, template, context)


def expanded(request) -> frozenset[str]:
    """The sections to show in full, from `all` in the query string or the posted form."""
    values = request.POST.getlist("all") if request.method == "POST" else []
    return frozenset(v for v in values or request.GET.getlist("all") if v in SECTIONS)


def dashboard_context(request, expand=frozenset(), *, now=None) -> dict:
    """Everything the live part of the page shows (header, owed now, flags, clients)."""
    now = now or timezone.now()
    profile = request.profile
    calendar = profile.calendar()  # two queries: windows and days off
    thresholds = Thresholds.of(profile)

    every = selectors.clients_at_a_glance(profile)
    glances = [g for g in every if g.client.status != Client.Status.ENDED]
    selectors.attach_last_interactions(glances)
    board = selectors.flag_board(
        profile.user_id,
        now,
        {g.client.pk: g.client for g in every},
        limit=None if "flags" in expand else selectors.FLAGS_PER_SEVERITY,
    )
    owed = selectors.owed_now(
        profile.user_id, glances, calendar, thresholds, now, board.update_flagged
    )
    for g in glances:
        g.open_flags = board.per_client[g.client.pk]
    # The clients who need attention first: most open flags, then by name.
    glances.sort(key=lambda g: -g.open_flags)

    owed_shown = owed if "owed" in expand else owed[: selectors.OWED_SHOWN]
    glances_shown = glances if "clients" in expand else glances[: selectors.CLIENTS_SHOWN]
    words = wording.Words(now)
    for item in owed_shown:
        item.when_text = wording.left_or_overdue(item.left, item.overdue)
        item.due_text = words.moment(item.due, item.client)
        item.last_text = words.last_interaction(item.glance.last_interaction)
    for g in glances_shown:
        g.their_time = wording.day_hm(now.astimezone(g.client.zone))
        g.last_text = words.last_interaction(g.last_interaction, short=True)
    urls = FlagUrls()
    for flags in board.groups.values():
        for flag in flags:
            flag.figures_text = words.flag_figures(flag)
            flag.state_text = words.flag_state(flag)
            flag.urls = urls.of(flag.pk)
            flag.script_url = scripts.script_url_for_flag(flag)  # reverse() only, no query
            if flag.script_url:
                flag.script_title = scripts.BUILTINS[scripts.script_for_rule(flag.rule)].title
    return {
        "profile": profile,
        "now": now,
        "working_status": words.working_status(calendar),
        "email_paused": sender.email_paused(profile.user_id),  # one query
        "owed": owed_shown,
        "owed_total": len(owed),
        "board": board,
        "glances": glances_shown,
        "client_rows": [g.client for g in every],  # for the form's choices, by name
        "clients": [g.client for g in every if g.client.status != Client.Status.ENDED],
        "clients_total": len(glances),
        # The flag forms carry the expanded sections along, so that their answer keeps them.
        "keep_inputs": format_html_join(
            "", '<input type="hidden" name="all" value="{}">', ((x,) for x in sorted(expand))
        ),
        "live_url": reverse("dashboard")
        + (f"?{urlencode({'all': sorted(expand)}, doseq=True)}" if expand else ""),
        "snooze_default": snooze_default(calendar, now),
    }


class FlagUrls:
    """The three action URLs of a flag, reversed once per page rather than three times a flag."""

    PLACEHOLDER = 987654321

    def __init__(self):
        self.patterns = {
            action: reverse(f"flag-{action}", args=[self.PLACEHOLDER])
            for action in ("acknowledge", "snooze", "resolve")
        }

    def of(self, pk: int) -> dict:
        return {a: u.replace(str(self.PLACEHOLDER), str(pk)) for a, u in self.patterns.items()}


def snooze_default(calendar, now: datetime) -> str:
    """The start of the next working day, as a datetime-local value in the freelancer's zone."""
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), tzinfo=timezone.get_current_timezone())
    at = calendar.next_working_start(start) or start + timedelta(hours=9)
    return timezone.localtime(at).strftime(DATETIME_LOCAL)
