"""Words and details a person notices: one wording per validation message on every form, city
names as people write them, a checkbox inside its label, a text that is too long refused with a
message (not cut by the browser), dates written one way."""

import importlib
import inspect
import pkgutil
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.urls import reverse

import web
from clients.business_time import Window
from clients.formats import city
from clients.hours_in_zone import hours_statement
from engagements.models import Interaction
from tests.factories import ClientFactory
from tests.web.test_client_pages import client_post
from tests.web.test_settings_pages import profile_data
from web.forms.messages import PlainMessages

BERLIN = ZoneInfo("Europe/Berlin")


def web_form_classes():
    """Every form class defined in the web app's modules."""
    found = set()
    for module_info in pkgutil.walk_packages(web.__path__, "web."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found.add(cls)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


@pytest.mark.parametrize("form_class", web_form_classes(), ids=lambda c: c.__name__)
def test_every_form_words_its_limits_the_house_way(form_class):
    assert issubclass(form_class, PlainMessages), (
        f"{form_class.__module__}.{form_class.__name__} should mix in PlainMessages"
    )


def test_a_reply_window_of_zero_reads_the_same_on_the_client_form_and_the_profile(web):
    client_page = web.post(reverse("client-create"), client_post(**{"b-reply_window_hours": "0"}))
    profile_page = web.post(reverse("settings-profile"), profile_data(reply_window_hours="0"))
    assert client_page.context["boundaries_form"].errors["reply_window_hours"] == [
        "Must be at least 1."
    ]
    assert profile_page.context["form"].errors["reply_window_hours"] == ["Must be at least 1."]


@pytest.mark.parametrize(
    ("zone", "name"),
    [
        ("America/St_Johns", "St John's"),
        ("America/Los_Angeles", "Los Angeles"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires"),
        ("America/Sao_Paulo", "São Paulo"),
        ("Europe/Berlin", "Berlin"),
        ("UTC", "UTC"),
        (ZoneInfo("Asia/Kathmandu"), "Kathmandu"),
    ],
)
def test_a_time_zone_is_named_by_its_city_as_people_write_it(zone, name):
    assert city(zone) == name


def test_the_client_page_and_the_scripts_name_st_johns_with_its_apostrophe(web, profile):
    client = ClientFactory(owner=profile.user, name="Cabot", timezone="America/St_Johns")
    html = web.get(reverse("client-detail", args=[client.pk])).content.decode()
    assert "(St John&#x27;s)" in html and "St_Johns" not in html
    statement = hours_statement(
        [Window(0, time(9), time(17))], BERLIN, client.zone, datetime(2026, 6, 1, tzinfo=BERLIN)
    )
    assert statement.yours.endswith("St John's time")


def test_the_quick_logs_checkbox_sits_inside_its_label(web):
    html = web.get(reverse("interaction-new")).content.decode()
    assert '<label class="check"><input type="checkbox" name="needs_reply"' in html
    assert "Needs a reply</label>" in html


def test_a_summary_longer_than_the_field_is_refused_with_a_message_not_cut(web, profile):
    acme = ClientFactory(owner=profile.user, name="Acme")
    page = web.get(reverse("interaction-new")).content.decode()
    assert 'name="summary"' in page and "maxlength" not in page.split('name="summary"')[1][:120]

    with time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=BERLIN), tick=False):
        response = web.post(
            reverse("interaction-new"),
            {
                "client": acme.pk,
                "direction": "in",
                "channel": "email",
                "occurred_at": "2026-11-24T09:00",
                "summary": "x" * 501,
                "kind": "other",
                "tone": "neutral",
            },
        )
    assert response.status_code == 422
    assert response.context["form"].errors["summary"] == [
        "Must be at most 500 characters long (this has 501)."
    ]
    assert not Interaction.objects.exists()
