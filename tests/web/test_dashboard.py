"""The dashboard at `/`: the header, owed now, the flags by severity, clients at a glance, the
htmx fragments, and a fixed number of queries whatever the number of clients and flags.

Alice (the profile fixture) works Mon–Fri 09:00–17:00 in Berlin; Acme is in New York, six hours
behind. November 2026: the 23rd is a Monday.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from engagements.models import Flag, Interaction, Rule, Severity
from tests.factories import ClientFactory, EngagementFactory, InteractionFactory
from web.selectors import dashboard as selectors

BERLIN = ZoneInfo("Europe/Berlin")
IN, OUT = Interaction.Direction.INBOUND, Interaction.Direction.OUTBOUND


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def acme(profile):
    with time_machine.travel(berlin(2, 9), tick=False):
        return ClientFactory(owner=profile.user, name="Acme", timezone="America/New_York")


def message(client, at, direction=IN, **fields):
    with time_machine.travel(at, tick=False):
        return InteractionFactory(client=client, direction=direction, occurred_at=at, **fields)


def flag(client, rule=Rule.CHECK_IN_MISSED, severity=Severity.WARNING, **fields):
    fields.setdefault("subject", f"client:{client.pk}:{rule}:{severity}:{Flag.objects.count()}")
    fields.setdefault("summary", f"{rule} about {client.name}")
    return Flag.objects.create(
        owner_id=client.owner_id, client=client, rule=rule, severity=severity, **fields
    )


def get(signed_in, at, path="/", **headers):
    with time_machine.travel(at, tick=False):
        response = signed_in.get(path, **headers)
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's words, one space between them, without tags."""
    html = re.sub(r"<(script|form)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def section(html: str, section_id: str) -> str:
    """The words of one <section id=...> (sections nest, so match up to its own end)."""
    start = html.index(f'id="{section_id}"')
    depth, i = 1, html.index(">", start)
    for m in re.finditer(r"<(/?)section\b", html[i:]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return text_of(html[start : i + m.start()])
    raise AssertionError(f"section {section_id} does not end")


# Owed now ----------------------------------------------------------------------------------


def test_a_reply_owed_shows_the_working_time_left_and_the_due_moment_in_both_zones(signed_in, acme):
    message(acme, berlin(23, 10), needs_reply=True, summary="Can you send the checklist?")
    owed = section(get(signed_in, berlin(23, 11, 40)), "owed")
    # 8 working hours from Mon 10:00: 7 on Monday, 1 on Tuesday → due Tue 10:00 Berlin, 04:00 NY.
    assert "Reply to Acme" in owed
    assert "6 h 20 min of working time left" in owed
    assert "due Tue 10:00 your time · 04:00 for Acme" in owed
    assert "“Can you send the checklist?”" in owed


def test_an_overdue_reply_says_by_how_much(signed_in, acme):
    message(acme, berlin(23, 10), needs_reply=True)
    owed = section(get(signed_in, berlin(25, 12)), "owed")
    assert "overdue by 1 d 2 h" in owed
    assert "due Tue 10:00 your time · 04:00 for Acme" in owed


def test_the_clients_day_is_named_when_it_differs_from_mine(signed_in, profile):
    tokyo = ClientFactory(owner=profile.user, name="Kaze", timezone="Asia/Tokyo")
    message(tokyo, berlin(23, 16), needs_reply=True)
    owed = section(get(signed_in, berlin(23, 16, 30)), "owed")
    # 1 working hour on Monday, 7 on Tuesday: due Tue 16:00 in Berlin, Wed 00:00 in Tokyo.
    assert "due Tue 16:00 your time · Wed 00:00 for Kaze" in owed


def test_a_reply_is_owed_before_any_rule_flags_it(signed_in, acme):
    message(acme, berlin(23, 10), needs_reply=True)
    owed = section(get(signed_in, berlin(23, 10, 30)), "owed")
    assert not Flag.objects.exists()
    assert "Reply to Acme" in owed
    assert "7 h 30 min of working time left" in owed


def test_a_reply_sent_after_the_message_clears_what_is_owed(signed_in, acme):
    message(acme, berlin(23, 10), needs_reply=True)
    message(acme, berlin(23, 11), OUT)
    owed = section(get(signed_in, berlin(23, 12)), "owed")
    assert "Reply to" not in owed
    assert "Nothing owed" in owed


def test_the_first_unanswered_message_sets_the_clock(signed_in, acme):
    message(acme, berlin(23, 9), needs_reply=True, summary="Old question")
    message(acme, berlin(23, 9, 30), OUT)
    message(acme, berlin(23, 10), needs_reply=True, summary="First new question")
    message(acme, berlin(23, 11), needs_reply=True, summary="Second new question")
    owed = section(get(signed_in, berlin(23, 12)), "owed")
    assert owed.count("Reply to Acme") == 1
    assert "First new question" in owed
    assert "due Tue 10:00 your time" in owed


def test_an_update_due_within_a_working_day_is_owed_with_its_last_interaction(signed_in, acme):
    with time_machine.travel(berlin(2, 9), tick=False):
        EngagementFactory(client=acme)
    message(acme, berlin(16, 10), OUT, kind=Interaction.Kind.PROGRESS_UPDATE, summary="Weekly")
    message(acme, berlin(20, 15), IN, summary="Thanks!")
    owed = section(get(signed_in, berlin(23, 11, 40)), "owed")
    # Five working days after Mon 16th: the end of Mon 23rd, 17:00 Berlin, 11:00 in New York.
    assert "Progress update for Acme" in owed
    assert "5 h 20 min of working time left · due Mon 17:00 your time · 11:00 for Acme" in owed
    assert "Last: from them by email, Fri 20 Nov 15:00 — “Thanks!”" in owed


def test_an_update_not_yet_due_is_not_owed(signed_in, acme):
    with time_machine.travel(berlin(2, 9), tick=False):
        EngagementFactory(client=acme)
    message(acme, berlin(20, 10), OUT, kind=Interaction.Kind.PROGRESS_UPDATE)
    owed = section(get(signed_in, berlin(23, 11)), "owed")
    assert "Progress update" not in owed


def test_owed_now_lists_the_most_urgent_first(signed_in, profile, acme):
    later = ClientFactory(owner=profile.user, name="Beta", timezone="Europe/London")
    message(later, berlin(23, 11), needs_reply=True)
    message(acme, berlin(23, 10), needs_reply=True)
    overdue = ClientFactory(owner=profile.user, name="Zeta", timezone="Europe/London")
    message(overdue, berlin(19, 10), needs_reply=True)
    owed = section(get(signed_in, berlin(23, 12)), "owed")
    assert owed.index("Reply to Zeta") < owed.index("Reply to Acme") < owed.index("Reply to Beta")


def test_another_freelancers_clients_are_not_owed_anything_here(signed_in, outsider, acme):
    theirs = ClientFactory(owner=outsider, name="Not yours")
    message(theirs, berlin(23, 10), needs_reply=True)
    html = get(signed_in, berlin(23, 12))
    assert "Not yours" not in html


# The header -------------------------------------------------------------------------------


def test_the_header_says_when_working_hours_end(signed_in, acme):
    html = get(signed_in, berlin(23, 11, 40))
    header = text_of(html[html.index('id="now"') : html.index("</header>", html.index('id="now"'))])
    assert "Monday 23 November, 11:40" in header
    assert "In working hours until 17:00" in header


def test_the_header_says_when_the_next_working_window_starts(signed_in, acme):
    html = get(signed_in, berlin(28, 10))  # Saturday
    header = text_of(html[html.index('id="now"') : html.index("</header>", html.index('id="now"'))])
    assert "Outside working hours · next window starts Mon 09:00" in header


# Flags -------------------------------------------------------------------------------------


def test_flags_are_grouped_by_severity_breach_first(signed_in, acme):
    flag(acme, Rule.OUT_OF_HOURS, Severity.INFO, summary="Acme wrote at night")
    flag(acme, Rule.UPDATE_OWED, Severity.WARNING, summary="Update for Acme soon")
    flag(acme, Rule.DEADLINE, Severity.BREACH, summary="Acme deliverable overdue")
    html = get(signed_in, berlin(23, 12))
    flags = section(html, "flags")
    assert flags.index("Breach") < flags.index("Warning") < flags.index("Info")
    assert "Acme deliverable overdue" in section(html, "flags-breach")
    assert "Update for Acme soon" in section(html, "flags-warning")
    assert "Acme wrote at night" in section(html, "flags-info")
    assert "Acme wrote at night" not in section(html, "flags-breach")


def test_a_flag_shows_its_figures_in_words(signed_in, acme):
    flag(
        acme,
        Rule.REPLY_OWED,
        Severity.WARNING,
        summary="Reply owed to Acme",
        figures={"window_hours": 8, "warning_percent": 75},
        since=berlin(23, 10),
        breach_at=berlin(24, 10),
    )
    flag(
        acme,
        Rule.BOUNDARY_PATTERN,
        Severity.WARNING,
        figures={"count": 4, "days": 14, "threshold": 3},
    )
    flags = section(get(signed_in, berlin(23, 16)), "flags")
    assert (
        "Asked Mon 10:00 your time · 04:00 for Acme; reply window 8 working hours. "
        "Due Tue 10:00 your time · 04:00 for Acme." in flags
    )
    assert "4 out-of-hours messages in 14 days" in flags


def test_snoozed_flags_are_hidden_and_counted_until_their_snooze_ends(signed_in, acme):
    flag(acme, summary="Still open")
    flag(
        acme,
        summary="Snoozed for now",
        state=Flag.State.SNOOZED,
        snoozed_until=berlin(24, 9),
        snooze_reason="Waiting for their board",
    )
    flag(acme, summary="Resolved long ago", state=Flag.State.RESOLVED, resolved_at=berlin(2, 9))
    flags = section(get(signed_in, berlin(23, 12)), "flags")
    assert "Still open" in flags
    assert "Snoozed for now" not in flags
    assert "Resolved long ago" not in flags
    assert "1 snoozed flag hidden; the first comes back Tue 24 Nov 09:00" in flags

    flags = section(get(signed_in, berlin(24, 9, 30)), "flags")
    assert "Snoozed for now" in flags
    assert "Back from a snooze (Waiting for their board)" in flags
    assert "snoozed flag" not in flags


def test_an_acknowledged_flag_stays_listed_without_its_acknowledge_button(signed_in, acme):
    seen = flag(
        acme, summary="Seen it", state=Flag.State.ACKNOWLEDGED, acknowledged_at=berlin(23, 9)
    )
    unseen = flag(acme, summary="Not yet")
    html = get(signed_in, berlin(23, 12))
    assert "Acknowledged Mon 09:00" in section(html, "flags")
    assert f'action="/flags/{seen.pk}/acknowledge/"' not in html
    assert f'href="/flags/{seen.pk}/?next=/%23flags"' in html  # still snooze or resolve it
    assert f'action="/flags/{unseen.pk}/acknowledge/"' in html


def test_the_snooze_and_resolve_forms_are_a_link_away_not_inline(signed_in, acme):
    f = flag(acme, summary="Check in with Acme")
    html = get(signed_in, berlin(23, 12))
    # No per-flag forms but Acknowledge: the others load on demand, from a real page.
    assert f'action="/flags/{f.pk}/snooze/"' not in html
    assert f"/flags/{f.pk}/resolve/" not in html
    assert 'class="flag-form"' not in html
    assert (
        f'<a class="button secondary flag-open" href="/flags/{f.pk}/?next=/%23flags" '
        f'hx-get="/flags/{f.pk}/?next=/%23flags" hx-target="#flag-more-{f.pk}" '
        'hx-swap="innerHTML">Snooze or resolve…<span class="visually-hidden">: '
        "Check in with Acme</span></a>"
    ) in html
    assert f'<div class="flag-more" id="flag-more-{f.pk}"></div>' in html
    # The sections shown in full go along, for the forms to keep them.
    expanded = get(signed_in, berlin(23, 12), "/?all=flags")
    assert f'href="/flags/{f.pk}/?next=/%3Fall%3Dflags%23flags"' in expanded


def test_each_severity_shows_its_first_flags_and_links_to_all(signed_in, acme):
    for n in range(selectors.FLAGS_PER_SEVERITY + 2):
        flag(acme, Rule.OUT_OF_HOURS, Severity.INFO, summary=f"Night message {n}")
    html = get(signed_in, berlin(23, 12))
    info = section(html, "flags-info")
    assert info.count("· Out-of-hours contact") == selectors.FLAGS_PER_SEVERITY
    assert f"Show all {selectors.FLAGS_PER_SEVERITY + 2} info flags" in info
    everything = section(get(signed_in, berlin(23, 12), "/?all=flags"), "flags-info")
    assert everything.count("· Out-of-hours contact") == selectors.FLAGS_PER_SEVERITY + 2


# Clients at a glance -----------------------------------------------------------------------


def test_clients_at_a_glance_show_status_their_time_last_contact_and_open_flags(
    signed_in, profile, acme
):
    message(acme, berlin(20, 15), IN)
    flag(acme)
    flag(acme, Rule.OUT_OF_HOURS, Severity.INFO)
    flag(acme, state=Flag.State.SNOOZED, snoozed_until=berlin(30, 9))
    ClientFactory(owner=profile.user, name="Paused Co", status="paused", timezone="Asia/Tokyo")
    ClientFactory(owner=profile.user, name="Gone Ltd", status="ended")
    clients = section(get(signed_in, berlin(23, 11, 40)), "clients")
    assert re.search(
        r"Acme · Acme Status: Active Their time: Mon 05:40 New York "
        r"Last: Fri 20 Nov 15:00 · from them, email Open flags: 2 ",
        clients,
    ), clients
    assert "Paused Co" in clients and "Paused" in clients
    assert "Mon 19:40 Tokyo" in clients
    assert "none yet" in clients
    assert "Gone Ltd" not in clients


# Links -------------------------------------------------------------------------------------


def test_client_names_link_to_their_page_in_owed_flags_and_clients(signed_in, acme):
    message(acme, berlin(23, 10), needs_reply=True)
    acme_flag = flag(acme, summary="Check-in missed with Acme")
    html = get(signed_in, berlin(23, 12))
    link = f'<a href="/clients/{acme.pk}/">Acme</a>'
    owed = html[html.index('id="owed"') : html.index('id="flags"')]
    assert f"Reply to {link}" in owed
    flag_item = html[html.index(f'id="flag-{acme_flag.pk}"') : html.index('id="clients"')]
    assert link in flag_item
    glance = html[html.index('id="clients"') :]
    assert f'<th scope="row">{link}' in glance


def test_a_flag_links_its_fitting_script_and_others_link_none(signed_in, acme):
    pattern = flag(acme, Rule.BOUNDARY_PATTERN, summary="Acme keeps writing at night")
    walk = flag(acme, Rule.WALK_AWAY, Severity.BREACH, summary="Consider ending it with Acme")
    deadline = flag(acme, Rule.DEADLINE, summary="Homepage overdue")
    html = get(signed_in, berlin(23, 12))

    def item(f):
        start = html.index(f'id="flag-{f.pk}"')
        return html[start : html.index("</li>", start)]

    assert f'href="/scripts/client/{acme.pk}/boundary/"' in item(pattern)
    assert "Script: Boundary statement (working hours)" in text_of(item(pattern))
    assert f'href="/scripts/client/{acme.pk}/exit/"' in item(walk)
    assert "Script: Respectful exit" in text_of(item(walk))
    assert "/scripts/" not in item(deadline)


def test_the_dashboard_says_when_email_is_paused_and_links_to_resume_it(signed_in, acme, user):
    from engagements.models import EmailStatus

    assert "emails are paused" not in get(signed_in, berlin(23, 12))
    EmailStatus.objects.create(owner=user, consecutive_failures=10, paused_at=berlin(23, 8))
    html = get(signed_in, berlin(23, 12))
    live = text_of(html[html.index('id="live"') : html.index('id="owed"')])
    assert "Your reminder emails are paused" in live
    assert '<a href="/email/sent/">See what failed and resume sending</a>' in html
    fragment = get(signed_in, berlin(23, 12), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live")
    assert "Your reminder emails are paused" in fragment


def test_a_link_near_the_top_jumps_to_the_quick_log_form(signed_in, acme):
    html = get(signed_in, berlin(23, 12))
    assert html.index('<a href="#log">Log an interaction</a>') < html.index('id="owed"')
    assert '<aside class="dash-log card" id="log"' in html


# Fragments ---------------------------------------------------------------------------------


def test_an_htmx_refresh_gets_the_live_fragment_without_the_form(signed_in, acme):
    html = get(signed_in, berlin(23, 12), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live")
    assert html.lstrip().startswith('<div id="live"')
    assert "<html" not in html
    assert 'id="owed"' in html and 'id="flags"' in html and 'id="clients"' in html
    assert 'id="log-form"' not in html


def test_the_live_fragment_refreshes_on_its_own_and_when_flags_change(signed_in, acme):
    html = get(signed_in, berlin(23, 12))
    live = re.search(r'<div id="live"[^>]*>', html).group(0)
    assert "refreshDashboard from:body" in live
    assert 'hx-get="/"' in live
    # static/js/dashboard.js sends refreshDashboard: on a timer, paused while the tab is hidden,
    # when it becomes visible again, and when flags change elsewhere on the page.
    assert "/static/js/dashboard.js" in html
    script = (settings.BASE_DIR / "static/js/dashboard.js").read_text()
    assert 'document.visibilityState === "visible"' in script
    assert "visibilitychange" in script and '"flagsChanged"' in script


def test_the_page_has_the_quick_log_form_with_now_in_my_zone(signed_in, acme):
    html = get(signed_in, berlin(23, 11, 40))
    form = html[html.index('id="log-form"') :]
    assert 'action="/interactions/new/"' in form
    assert 'value="2026-11-23T11:40"' in form
    for name in ("client", "direction", "channel", "occurred_at", "summary", "kind"):
        assert f'name="{name}"' in form
    for name in ("needs_reply", "tone", "concern"):
        assert f'name="{name}"' in form
    assert '<label for="id_occurred_at">When</label>' in form


def test_the_dashboard_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# Query budget ------------------------------------------------------------------------------

# session, user, profile, working windows, days off, clients (with their boundaries and where
# their logs stand: the latest interaction, the message waiting for a reply, the latest update),
# flag counts, flags, whether email is paused (one EXISTS on the freelancer's EmailStatus row: it
# has no relation from the user or the profile to join through), the failing mailboxes. The form
# lists the clients the page has already read.
QUERIES = 10


def world(user, n_clients: int) -> None:
    """`n_clients` clients, each with an engagement, a few messages and flags in every state."""
    now = timezone.now()
    for n in range(n_clients):
        c = ClientFactory(owner=user, name=f"Client {n:03d}")
        EngagementFactory(client=c)
        for direction, hours, needs in ((IN, 30, True), (OUT, 20, False), (IN, 2, n % 2 == 0)):
            InteractionFactory(
                client=c,
                direction=direction,
                occurred_at=now - timedelta(hours=hours),
                needs_reply=needs,
            )
        flag(c, Rule.OUT_OF_HOURS, Severity.INFO)
        flag(c, Rule.REPLY_OWED, Severity.BREACH, since=now - timedelta(hours=30))
        flag(c, Rule.UPDATE_OWED, Severity.WARNING, state=Flag.State.ACKNOWLEDGED)
        flag(c, state=Flag.State.SNOOZED, snoozed_until=now + timedelta(days=1))


@pytest.mark.parametrize("n_clients", [5, 50])
def test_the_dashboard_runs_the_same_number_of_queries_whatever_the_clients(
    signed_in, profile, n_clients, django_assert_num_queries
):
    world(profile.user, n_clients)
    with django_assert_num_queries(QUERIES):
        response = signed_in.get("/")
    html = response.content.decode()
    assert html.count('class="flag flag-') == 3 * min(n_clients, selectors.FLAGS_PER_SEVERITY)
    assert section(html, "clients").count("Client 0") == min(n_clients, selectors.CLIENTS_SHOWN)
    # Every client owes an update (none was ever sent); the even ones a reply too.
    assert f"Owed now {n_clients + (n_clients + 1) // 2} " in section(html, "owed")
    choices = re.search(r'<select[^>]* name="client".*?</select>', html, re.S).group(0)
    assert choices.count("<option") == n_clients + 1  # and "Choose a client…"


@pytest.mark.parametrize("n_clients", [5, 50])
def test_the_live_fragment_runs_the_same_number_of_queries_whatever_the_clients(
    signed_in, profile, n_clients, django_assert_num_queries
):
    world(profile.user, n_clients)
    with django_assert_num_queries(QUERIES):
        response = signed_in.get("/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live")
    shown = 3 * min(n_clients, selectors.FLAGS_PER_SEVERITY)
    assert response.content.decode().count('class="flag flag-') == shown


# Long lists -------------------------------------------------------------------------------


def test_owed_now_shows_the_most_urgent_first_and_links_to_all_of_them(
    signed_in, profile, monkeypatch
):
    monkeypatch.setattr("web.selectors.dashboard.OWED_SHOWN", 2)
    for n, hour in enumerate((9, 10, 11)):
        c = ClientFactory(owner=profile.user, name=f"Owed {n}")
        message(c, berlin(23, hour), needs_reply=True)
    owed = section(get(signed_in, berlin(23, 12)), "owed")
    assert "Owed now 3 " in owed
    assert "Reply to Owed 0" in owed and "Reply to Owed 1" in owed
    assert "Reply to Owed 2" not in owed
    assert "Show all 3 owed" in owed
    owed = section(get(signed_in, berlin(23, 12), "/?all=owed"), "owed")
    assert "Reply to Owed 2" in owed
    assert "Show all" not in owed


def test_clients_with_the_most_open_flags_come_first_and_the_rest_behind_a_link(
    signed_in, profile, monkeypatch
):
    monkeypatch.setattr("web.selectors.dashboard.CLIENTS_SHOWN", 2)
    calm = ClientFactory(owner=profile.user, name="Aardvark")
    busy = ClientFactory(owner=profile.user, name="Zebra")
    ClientFactory(owner=profile.user, name="Middle")
    flag(busy)
    flag(busy, Rule.OUT_OF_HOURS, Severity.INFO)
    clients = section(get(signed_in, berlin(23, 12)), "clients")
    assert clients.index("Zebra") < clients.index("Aardvark")
    assert "Middle" not in clients
    assert "Show all 3 clients" in clients
    assert "Middle" in section(get(signed_in, berlin(23, 12), "/?all=clients"), "clients")
    assert calm.name in clients


def test_the_refresh_keeps_the_sections_shown_in_full(signed_in, acme):
    html = get(signed_in, berlin(23, 12), "/?all=flags&all=owed")
    assert 'hx-get="/?all=flags&amp;all=owed"' in html


def test_a_flag_about_an_ended_client_still_shows_with_their_name(signed_in, profile):
    gone = ClientFactory(owner=profile.user, name="Gone Ltd", status="ended")
    flag(gone, Rule.OUT_OF_HOURS, Severity.INFO, summary="Gone Ltd contacted you out of hours")
    html = get(signed_in, berlin(23, 12))
    assert "Gone Ltd contacted you out of hours" in section(html, "flags-info")
    assert "Gone Ltd" not in section(html, "clients")


def test_an_update_whose_flag_is_up_is_owed_even_before_its_last_working_day(signed_in, acme):
    acme.boundaries.update_cadence_days = 10
    acme.boundaries.save()
    with time_machine.travel(berlin(2, 9), tick=False):
        EngagementFactory(client=acme)
    message(acme, berlin(12, 10), OUT, kind=Interaction.Kind.PROGRESS_UPDATE)
    # Ten working days after Thu 12th: the end of Thu 26th. On Mon 23rd it is not yet due.
    assert "Progress update" not in section(get(signed_in, berlin(23, 12)), "owed")
    flag(acme, Rule.UPDATE_OWED, Severity.WARNING, summary="Progress update owed to Acme")
    owed = section(get(signed_in, berlin(23, 12)), "owed")
    assert "Progress update for Acme" in owed
    assert "due Thu 17:00 your time · 11:00 for Acme" in owed
