"""Signed links in emails: they carry what they act on, expire, refuse tampering, and never act on
a GET (mail scanners fetch every link)."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import time_machine
from django.test import Client as Browser

from clients.models import FreelancerProfile
from engagements import emails, links
from engagements.models import Flag, UsedLink
from tests.engagements.email_helpers import raise_flag
from tests.factories import ClientFactory
from tests.threads import run_together

NOW = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # Friday 09:00 in Berlin


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def with_token(url: str, token: str) -> str:
    return f"{urlsplit(url).path}?t={quote(token)}"


def tampered(token: str) -> str:
    """The same token with one character of its payload changed."""
    i = 3
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]


@pytest.fixture
def flag(profile):
    acme = ClientFactory(owner=profile.user, name="Acme")
    return raise_flag(acme, opened_at=NOW - timedelta(days=1), summary="Reply owed to Acme")


@pytest.fixture
def browser():
    """A visitor with no session, whose POSTs are CSRF-checked like a real browser's."""
    return Browser(enforce_csrf_checks=True)


def at(moment, fn, *args, **kwargs):
    with time_machine.travel(moment, tick=False):
        return fn(*args, **kwargs)


# --- tokens ---------------------------------------------------------------------------------


def test_a_token_reads_back_what_it_carries():
    token = links.make_token(links.SNOOZE, u=3, f=17)
    assert links.read(links.SNOOZE, token) == {"u": 3, "f": 17}


@pytest.mark.parametrize(
    "change",
    [
        tampered,
        lambda t: t[:-1],  # cut short
        lambda t: t + "x",
        lambda t: t.replace(":", ":9", 1),  # another timestamp
        lambda t: "",
        lambda t: "not-a-token",
        lambda t: "a:b:c",
    ],
    ids=["tampered", "truncated", "extended", "re-timed", "empty", "garbage", "three-parts"],
)
def test_a_token_that_was_changed_is_refused_as_invalid(change):
    token = links.make_token(links.SNOOZE, u=3, f=17)
    with pytest.raises(links.BadLink) as refused:
        links.read(links.SNOOZE, change(token))
    assert not refused.value.expired


def test_a_token_for_one_purpose_is_refused_for_another():
    token = links.make_token(links.SNOOZE, u=3, f=17)
    for purpose in (links.REVIEW, links.UNSUBSCRIBE):
        with pytest.raises(links.BadLink):
            links.read(purpose, token)


def test_a_token_signed_with_another_key_is_refused(settings):
    token = links.make_token(links.UNSUBSCRIBE, u=3, k="digest")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    with pytest.raises(links.BadLink):
        links.read(links.UNSUBSCRIBE, token)


@pytest.mark.parametrize("purpose", [links.SNOOZE, links.REVIEW, links.UNSUBSCRIBE])
def test_a_token_works_until_its_lifetime_ends_then_is_refused_as_expired(purpose):
    token = at(NOW, links.make_token, purpose, u=3)
    lifetime = links.LIFETIME[purpose]

    assert at(NOW + lifetime, links.read, purpose, token) == {"u": 3}
    with pytest.raises(links.BadLink) as refused:
        at(NOW + lifetime + timedelta(seconds=1), links.read, purpose, token)
    assert refused.value.expired


def test_links_in_emails_are_absolute(settings):
    settings.SITE_URL = "https://rapport.example.com"
    url = links.unsubscribe_url(3, "weekly")
    assert url.startswith("https://rapport.example.com/email/link/unsubscribe/?t=")


# --- snooze ---------------------------------------------------------------------------------


def test_the_snooze_link_asks_before_it_acts(flag, browser):
    url = path_of(at(NOW, links.snooze_url, flag))

    page = at(NOW, browser.get, url)

    assert page.status_code == 200
    body = page.content.decode()
    assert "Snooze for a day?" in body and "Reply owed to Acme" in body
    assert '<form method="post"' in body
    assert "Sat 28 Mar, 09:00" in body  # a day later, in Alice's zone
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


def test_the_snooze_link_snoozes_for_a_day_on_post_without_signing_in(flag, browser):
    url = path_of(at(NOW, links.snooze_url, flag))

    page = at(NOW + timedelta(hours=1), browser.post, url)

    assert page.status_code == 200
    assert "Snoozed for a day" in page.content.decode()
    flag.refresh_from_db()
    assert (flag.state, flag.snoozed_until) == (
        Flag.State.SNOOZED,
        NOW + timedelta(days=1, hours=1),
    )
    assert flag.snooze_reason == "Snoozed for a day from the email."


def test_a_snooze_link_acts_once_and_used_again_says_when_and_what_it_did(flag, browser):
    url = path_of(at(NOW, links.snooze_url, flag))
    at(NOW + timedelta(hours=1), browser.post, url)
    Flag.objects.filter(pk=flag.pk).update(state=Flag.State.OPEN, snoozed_until=None)

    for method in ("post", "get"):
        page = at(NOW + timedelta(hours=5), getattr(browser, method), url)

        assert page.status_code == 409
        body = page.content.decode()
        assert "This link was already used" in body
        assert "It was used on Fri 27 Mar 10:00: Reply owed to Acme — snoozed until " in body
        assert "Sat 28 Mar 10:00." in body
        flag.refresh_from_db()
        assert (flag.state, flag.snoozed_until) == (Flag.State.OPEN, None)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_same_snooze_link_posted_twice_at_once_acts_once(postgres, flag):
    url = path_of(at(NOW, links.snooze_url, flag))

    with time_machine.travel(NOW, tick=False):
        pages = run_together(lambda: Browser().post(url), lambda: Browser().post(url))

    assert sorted(p.status_code for p in pages) == [200, 409]
    assert UsedLink.objects.count() == 1


def test_a_link_made_in_the_future_is_refused(flag, browser):
    url = path_of(at(NOW + timedelta(hours=1), links.snooze_url, flag))

    page = at(NOW, browser.post, url)

    assert page.status_code == 400
    assert "This link is not valid" in page.content.decode()
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN
    assert at(NOW + timedelta(hours=1) - links.CLOCK_SKEW, browser.post, url).status_code == 200


def test_a_used_link_is_forgotten_only_once_it_has_expired(
    flag, browser, django_assert_num_queries
):
    # Signed by a server whose clock runs CLOCK_SKEW ahead and used at once: the latest expiry.
    url = path_of(at(NOW + links.CLOCK_SKEW, links.snooze_url, flag))
    assert at(NOW, browser.post, url).status_code == 200
    last_valid = NOW + links.CLOCK_SKEW + links.LIFETIME[links.SNOOZE]
    after = last_valid + timedelta(seconds=1)

    assert links.forget_used(last_valid) == 0
    assert at(last_valid, browser.post, url).status_code == 409  # still known as used
    with django_assert_num_queries(1):
        assert links.forget_used(after) == 1
    assert links.forget_used(after) == 0

    page = at(after, browser.post, url)
    assert page.status_code == 400 and "This link has expired" in page.content.decode()


def test_the_send_emails_pass_forgets_every_owners_expired_used_links(profile, outsider):
    for owner in (profile.user, outsider):
        for purpose, lifetime in links.LIFETIME.items():
            for age in (lifetime, lifetime + links.CLOCK_SKEW + timedelta(minutes=1)):
                UsedLink.objects.create(
                    digest=f"{owner.pk}-{purpose}-{age}",
                    purpose=purpose,
                    owner=owner,
                    used_at=NOW - age,
                )

    run = emails.send_due_emails(NOW)

    assert run.links_forgotten == 2 * len(links.LIFETIME)
    assert "Used links forgotten: 6." in str(run)
    kept = UsedLink.objects.values_list("purpose", "used_at")
    assert sorted(kept) == sorted(
        (purpose, NOW - lifetime)
        for purpose, lifetime in links.LIFETIME.items()
        for _ in (profile.user, outsider)
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_snooze_link_is_a_400_and_changes_nothing(flag, browser, method):
    url = at(NOW, links.snooze_url, flag)

    page = at(NOW, getattr(browser, method), with_token(url, tampered(token_of(url))))

    assert page.status_code == 400
    assert "This link is not valid" in page.content.decode()
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_snooze_link_is_a_400_that_says_so(flag, browser, method):
    url = path_of(at(NOW, links.snooze_url, flag))

    page = at(
        NOW + links.LIFETIME[links.SNOOZE] + timedelta(minutes=1), getattr(browser, method), url
    )

    assert page.status_code == 400
    assert "This link has expired" in page.content.decode()
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


@pytest.mark.parametrize("url", ["/email/link/snooze/", "/email/link/snooze/?t="])
def test_a_snooze_link_without_a_token_is_a_400(db, browser, url):
    assert browser.post(url).status_code == 400


def test_a_snooze_link_for_a_resolved_flag_does_nothing(flag, browser):
    url = path_of(at(NOW, links.snooze_url, flag))
    flag.resolve("Answered on the phone.", now=NOW)

    page = at(NOW, browser.post, url)

    assert page.status_code == 200
    assert "Already resolved" in page.content.decode()
    flag.refresh_from_db()
    assert flag.state == Flag.State.RESOLVED


def test_a_snooze_link_for_a_deleted_flag_is_a_404(flag, browser):
    url = path_of(at(NOW, links.snooze_url, flag))
    flag.client.delete()

    assert at(NOW, browser.post, url).status_code == 404


def test_a_snooze_token_naming_another_users_flag_does_nothing(flag, outsider, browser):
    """The token names the owner as well as the flag: both must match."""
    token = at(NOW, links.make_token, links.SNOOZE, u=outsider.pk, f=flag.pk)

    page = at(NOW, browser.post, f"/email/link/snooze/?t={quote(token)}")

    assert page.status_code == 404
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


# --- unsubscribe ------------------------------------------------------------------------------


def test_unsubscribe_asks_first_then_stops_that_kind_only(profile, browser):
    url = path_of(links.unsubscribe_url(profile.user_id, "digest"))

    page = browser.get(url)
    assert page.status_code == 200
    assert "Stop the daily digest email?" in page.content.decode()
    profile.refresh_from_db()
    assert profile.email_daily_digest

    page = browser.post(url)
    assert page.status_code == 200
    assert "You will no longer get the daily digest email" in page.content.decode()
    profile.refresh_from_db()
    assert (profile.email_daily_digest, profile.email_weekly_review) == (False, True)
    assert "Already unsubscribed" in browser.get(url).content.decode()


def test_one_click_unsubscribe_works_without_cookies(profile, browser):
    """RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click, with no session or CSRF."""
    url = path_of(links.unsubscribe_url(profile.user_id, "weekly"))

    page = browser.post(url, "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")

    assert page.status_code == 200
    profile.refresh_from_db()
    assert (profile.email_daily_digest, profile.email_weekly_review) == (True, False)


def test_a_tampered_unsubscribe_link_is_a_400_and_changes_nothing(profile, outsider, browser):
    FreelancerProfile.for_user(outsider)
    url = links.unsubscribe_url(profile.user_id, "digest")

    assert browser.post(with_token(url, tampered(token_of(url)))).status_code == 400
    assert FreelancerProfile.objects.filter(email_daily_digest=False).count() == 0


def test_an_unsubscribe_token_for_an_unknown_kind_is_a_400(profile, browser):
    token = links.make_token(links.UNSUBSCRIBE, u=profile.user_id, k="everything")
    assert browser.post(f"/email/link/unsubscribe/?t={quote(token)}").status_code == 400


# --- the review link ---------------------------------------------------------------------------


def test_the_review_link_opens_that_weeks_review_for_its_freelancer(profile, client):
    url = path_of(at(NOW, links.review_url, profile.user_id, "2026-W13"))
    client.force_login(profile.user)

    page = at(NOW, client.get, url)

    assert (page.status_code, page.url) == (302, "/review/2026-W13/")
    assert at(NOW, client.get, page.url).status_code == 200


def test_the_review_link_asks_a_visitor_to_sign_in_first(profile, browser):
    url = path_of(at(NOW, links.review_url, profile.user_id, "2026-W13"))

    page = at(NOW, browser.get, url)

    assert page.status_code == 302
    assert page.url.startswith("/accounts/login/?next=/email/link/review/")


def test_the_review_link_does_not_open_another_users_review(profile, outsider, client):
    url = path_of(at(NOW, links.review_url, profile.user_id, "2026-W13"))
    client.force_login(outsider)

    page = at(NOW, client.get, url)

    assert page.status_code == 404
    assert "sent to another account" in page.content.decode()


def test_a_tampered_or_expired_review_link_is_a_400(profile, client):
    url = at(NOW, links.review_url, profile.user_id, "2026-W13")
    client.force_login(profile.user)

    assert at(NOW, client.get, with_token(url, tampered(token_of(url)))).status_code == 400
    late = NOW + links.LIFETIME[links.REVIEW] + timedelta(seconds=1)
    assert at(late, client.get, path_of(url)).status_code == 400


def test_the_review_link_takes_no_post(profile, client):
    url = path_of(at(NOW, links.review_url, profile.user_id, "2026-W13"))
    client.force_login(profile.user)
    assert at(NOW, client.post, url).status_code == 405
