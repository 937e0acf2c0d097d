"""Logging in through the real form in a real browser."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_logging_in_through_the_form_opens_the_dashboard(anonymous_page, login, user, profile):
    anonymous_page.goto("/")
    expect(anonymous_page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    login(anonymous_page, "alice", "alice-password")

    expect(anonymous_page).to_have_title(re.compile("Dashboard"))
    expect(anonymous_page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(anonymous_page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_wrong_password_keeps_you_on_the_login_page_with_an_error(anonymous_page, user):
    anonymous_page.goto("/accounts/login/")
    anonymous_page.get_by_label("Username").fill("alice")
    anonymous_page.get_by_label("Password").fill("not-her-password")
    anonymous_page.get_by_role("button", name="Log in").click()

    expect(anonymous_page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(anonymous_page).to_have_url(re.compile(r"/accounts/login/$"))
