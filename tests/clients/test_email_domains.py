"""A client's email domains: anyone at them is with that client, so a free-mail domain (or
another client's) is refused, beside the field, and nothing is saved."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.email_domains import is_free_mail, problem_with
from clients.models import Client
from tests.factories import ClientFactory


@pytest.mark.parametrize(
    "domain",
    ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "GMX.de", "yahoo.co.uk",
     "hotmail.fr", "@Gmail.com"],
)  # fmt: skip
def test_free_mail_domains_are_refused(domain):
    assert is_free_mail(domain.lstrip("@"))
    assert "free-mail domain" in problem_with(domain)


@pytest.mark.parametrize(
    ("domain", "problem"),
    [("jane@acme.com", "is an address"), ("acme", "not a domain name"), ("a b.com", "not a")],
)
def test_what_is_not_a_domain_is_refused_in_plain_words(domain, problem):
    assert problem in problem_with(domain)


def test_a_company_domain_is_fine_and_stored_lower_case_once(profile):
    client = ClientFactory(owner=profile.user, email_domains=["Acme.COM", "acme.com", "@acme.de"])
    client.full_clean()
    assert client.email_domains == ["acme.com", "acme.de"]


def test_a_domain_another_client_has_is_refused(profile):
    ClientFactory(owner=profile.user, name="Acme", email_domains=["acme.com"])
    other = ClientFactory(owner=profile.user, name="Acme Labs", email_domains=["acme.com"])
    with pytest.raises(ValidationError) as refused:
        other.full_clean()
    assert refused.value.message_dict["email_domains"] == ["acme.com is already Acme’s domain."]


def test_another_freelancers_client_may_have_the_same_domain(profile, outsider):
    ClientFactory(owner=outsider, email_domains=["acme.com"])
    ClientFactory(owner=profile.user, email_domains=["acme.com"]).full_clean()


def test_the_client_form_takes_domains_separated_by_commas_and_refuses_free_mail(web, profile):
    client = ClientFactory(owner=profile.user, name="Acme", timezone="Europe/Berlin")
    url = reverse("client-edit", args=[client.pk])
    data = {
        "name": "Acme", "timezone": "Europe/Berlin", "status": "active",
        "b-reply_window_hours": 8, "b-update_cadence_days": 5, "b-checkin_cadence_days": 10,
        "b-after_hours_policy": "not_ok", "b-agreed_channels": ["email"],
        "change-requested_by": "freelancer",
    }  # fmt: skip

    refused = web.post(url, data | {"email_domains": "acme.com, gmail.com"})
    assert "gmail.com is a free-mail domain" in refused.content.decode()
    assert Client.objects.get(pk=client.pk).email_domains == []

    web.post(url, data | {"email_domains": "acme.com, acme.de"})
    assert Client.objects.get(pk=client.pk).email_domains == ["acme.com", "acme.de"]
    assert 'value="acme.com, acme.de"' in web.get(url).content.decode()
