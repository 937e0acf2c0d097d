"""The dashboard at `/`: what the freelancer owes, the open flags, the clients, a quick log.

One view serves the page and its fragments (`dashboard/dashboard.html#live` and friends, chosen
by the HX-Target of an htmx request). It runs a fixed number of queries whatever the number of
clients and flags (web/selectors/dashboard.py), and none beyond the session's when nothing has
changed since the last refresh: its rows are kept by engagements/dashboard_cache.py.

Long sections show their first rows (most pressing first) and a link to all of them:
`?all=owed`, `?all=flags`, `?all=clients` (repeatable), kept by the refresh and the flag forms.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join

from clients import formats, scripts
from clients.business_time import Window
from clients.formats import day_hm
from clients.models import Client
from engagements import dashboard_cache, sender
from engagements.models import Flag, Rule
from engagements.rules import Thresholds
from inbox.notices import FailingMailbox, failing_mailboxes
from web import wording
from web.forms.dashboard import DATETIME_LOCAL, InteractionForm
from web.selectors import dashboard as selectors

TEMPLATE = "dashboard/dashboard.html"
# Fragments an htmx request may ask for by its target's id; anything else gets "live".
FRAGMENTS = {"live", "now", "owed", "flags", "clients", "log-form"}
SECTIONS = ("owed", "flags", "clients")


def dashboard(request):
    if request.profile.onboarded_at is None and not request.htmx:
        return redirect("welcome")  # a new account: the first-run steps (web/views/onboarding.py)
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
    parts = rows_of(profile, now)
    if "flags" in expand:  # every flag: read afresh, not kept
        del parts[dashboard_cache.FLAGS]
    values = dashboard_cache.snapshot(request.user, now, parts)
    settings, every = values[dashboard_cache.SETTINGS], values[dashboard_cache.CLIENTS]
    board = values.get(dashboard_cache.FLAGS) or selectors.flag_board(
        profile.user_id, now, limit=None
    )
    board.attach(every)
    calendar = profile.calendar(windows=settings.windows, days_off=settings.days_off)
    thresholds = Thresholds.of(profile)
    ended = Client.Status.ENDED.value
    glances = [g for g in every if g.client.status != ended]
    owed = selectors.owed_now(glances, calendar, thresholds, now, board.update_flagged)
    for g in glances:
        g.open_flags = board.per_client[g.client.pk]
    # The clients who need attention first: most open flags, then by name.
    glances.sort(key=lambda g: -g.open_flags)

    owed_shown = owed if "owed" in expand else owed[: selectors.OWED_SHOWN]
    glances_shown = glances if "clients" in expand else glances[: selectors.CLIENTS_SHOWN]
    words = wording.Words(now)
    client_url = url_maker("client-detail")
    client_urls = {g.client.pk: client_url(g.client.pk) for g in every}
    flag_urls = {
        a: url_maker(f"flag-{a}")
        for a in ("acknowledge", "snooze", "resolve", "confirm", "actions")
    }
    flag_sections = [
        (severity, label, [flag_row(f, words, flag_urls, client_urls) for f in flags], total)
        for severity, label, flags, total in board.sections()
    ]
    return {
        "profile": profile,
        "now": now,
        "working_status": words.working_status(calendar),
        "email_paused": settings.email_paused,
        "failing_mailboxes": [m for m in settings.failing_mailboxes if m.worth_telling(now)],
        "owed": [owed_row(item, words, client_urls) for item in owed_shown],
        "owed_total": len(owed),
        "board": board,
        "flag_sections": flag_sections,
        "glances": [glance_row(g, now, words, client_urls) for g in glances_shown],
        "client_rows": [g.client for g in every],  # for the form's choices, by name
        "clients_total": len(glances),
        "keep_inputs": keep_inputs(expand),
        "live_url": reverse("dashboard")
        + (f"?{urlencode({'all': sorted(expand)}, doseq=True)}" if expand else ""),
        "snooze_default": snooze_default(calendar, now),
    }


# What the template shows of each row, as dicts: the template language finds a key in a dict
# at once, where an object's attribute costs it a failed key lookup first.


def client_link(client, client_urls) -> dict:
    return {"url": client_urls[client.pk], "name": client.name}


def owed_row(item: selectors.Owed, words, client_urls) -> dict:
    return {
        "kind": item.kind,
        "client": client_link(item.client, client_urls),
        "about": item.about,
        "level": item.level,
        "when_text": wording.left_or_overdue(item.left, item.overdue),
        "due_text": words.moment(item.due, item.client),
        "last_text": words.last_interaction(item.glance.last_interaction),
    }


def glance_row(g: selectors.Glance, now, words, client_urls) -> dict:
    c = g.client
    return {
        "client": client_link(c, client_urls)
        | {
            "organisation": c.organisation,
            "status": c.status,
            "get_status_display": c.get_status_display(),
            "city": formats.city(c.timezone),
        },
        "their_time": day_hm(now.astimezone(c.zone)),
        "last_text": words.last_interaction(g.last_interaction, short=True),
        "open_flags": g.open_flags,
    }


def flag_row(flag: Flag, words, flag_urls, client_urls) -> dict:
    script_url = scripts.script_url_for_flag(flag)  # reverse() only, no query
    return {
        "pk": flag.pk,
        "state": flag.state,
        "rule": flag.rule,
        "summary": flag.summary,
        "rule_label": Rule(flag.rule).label,
        "client_row": client_link(flag.client_row, client_urls),
        "figures_text": words.flag_figures(flag),
        "state_text": words.flag_state(flag),
        "urls": {action: url(flag.pk) for action, url in flag_urls.items()},
        "script_url": script_url,
        "script_title": script_url and scripts.BUILTINS[scripts.script_for_rule(flag.rule)].title,
    }


@dataclass
class Settings:
    """The freelancer's own rows the dashboard reads (4 queries)."""

    windows: list[Window]
    days_off: list[date]
    email_paused: bool
    failing_mailboxes: list[FailingMailbox]


# What the dashboard reads from the database (7 queries), in three parts that dashboard_cache
# keeps until one of them changes (the flag board: or until the first snoozed flag comes back).
SETTINGS_SHAPE = dashboard_cache.shape_of(Settings, Window, FailingMailbox)
CLIENTS_SHAPE = dashboard_cache.shape_of(
    selectors.Glance, selectors.ClientRow, selectors.LastContact
)
FLAGS_SHAPE = dashboard_cache.shape_of(selectors.FlagBoard, Flag)


def rows_of(profile, now) -> dict[str, dashboard_cache.Part]:
    return {
        dashboard_cache.SETTINGS: dashboard_cache.Part(
            lambda: read_settings(profile), SETTINGS_SHAPE
        ),
        dashboard_cache.CLIENTS: dashboard_cache.Part(
            lambda: selectors.clients_at_a_glance(profile),
            CLIENTS_SHAPE,
            rows=lambda glances: [g.client.pk for g in glances],
            refresh=lambda glances, ids: selectors.glances_again(profile, glances, ids),
        ),
        dashboard_cache.FLAGS: dashboard_cache.Part(
            lambda: selectors.flag_board(profile.user_id, now),
            FLAGS_SHAPE,
            good_until=lambda board: board.next_wake,
        ),
    }


def read_settings(profile) -> Settings:
    return Settings(
        [Window(w.weekday, w.start, w.end) for w in profile.working_windows.all()],
        list(profile.days_off.values_list("date", flat=True)),
        sender.email_paused(profile.user_id),
        failing_mailboxes(profile.user_id),
    )


def keep_inputs(expand) -> str:
    """Hidden inputs for the expanded sections: flag forms carry them along, so that their
    answer keeps the sections expanded."""
    return format_html_join(
        "", '<input type="hidden" name="all" value="{}">', ((x,) for x in sorted(expand))
    )


PLACEHOLDER = 987654321


def url_maker(name: str):
    """pk → reverse(name, args=[pk]), at the cost of one reverse() however many pks."""
    pattern = reverse(name, args=[PLACEHOLDER])
    return lambda pk: pattern.replace(str(PLACEHOLDER), str(pk))


def snooze_default(calendar, now: datetime) -> str:
    """The start of the next working day, as a datetime-local value in the freelancer's zone."""
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), tzinfo=timezone.get_current_timezone())
    at = calendar.next_working_start(start) or start + timedelta(hours=9)
    return timezone.localtime(at).strftime(DATETIME_LOCAL)
