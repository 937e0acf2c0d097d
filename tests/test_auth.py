"""Every page but the login page needs a signed-in user; logging in, out and changing password."""

import pytest

LOGIN = "/accounts/login/"
NEW_PASSWORD = "correct-horse-battery-staple-2026"


@pytest.mark.parametrize("path", ["/", "/accounts/password/", "/accounts/password/done/"])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={path}"


def test_the_login_page_is_open_to_anonymous_visitors(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b"Log in to Rapport" in response.content


def test_logging_in_with_the_right_password_opens_the_dashboard(client, user, profile):
    response = client.post(LOGIN, {"username": "alice", "password": "alice-password"})
    assert response.status_code == 302
    assert response.url == "/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/").status_code == 200


def test_logging_in_returns_to_the_page_asked_for(client, user):
    response = client.post(
        LOGIN, {"username": "alice", "password": "alice-password", "next": "/accounts/password/"}
    )
    assert response.url == "/accounts/password/"


def test_logging_in_does_not_return_to_another_site(client, user):
    response = client.post(
        LOGIN, {"username": "alice", "password": "alice-password", "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_logging_in_with_the_wrong_password_shows_an_error(client, user):
    response = client.post(LOGIN, {"username": "alice", "password": "mallory-password"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'role="alert"' in response.content
    assert "_auth_user_id" not in client.session


def test_one_users_password_does_not_open_another_users_account(client, user, outsider):
    response = client.post(LOGIN, {"username": "alice", "password": "mallory-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_signed_in_user_visiting_the_login_page_goes_to_the_dashboard(client, user):
    client.force_login(user)
    response = client.get(LOGIN)
    assert (response.status_code, response.url) == (302, "/")


def test_logging_out_needs_a_post(client, user, profile):
    client.force_login(user)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200


def test_logging_out_ends_the_session(client, user):
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert (response.status_code, response.url) == (302, LOGIN)
    assert client.get("/").status_code == 302


def test_every_page_offers_a_logout_form_that_posts(client, user, profile):
    client.force_login(user)
    page = client.get("/").content.decode()
    assert '<form method="post" action="/accounts/logout/"' in page


def test_changing_the_password_works_and_keeps_the_user_signed_in(client, user, profile):
    client.force_login(user)
    assert client.get("/accounts/password/").status_code == 200
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "alice-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert (response.status_code, response.url) == (302, "/accounts/password/done/")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get("/").status_code == 200

    client.post("/accounts/logout/")
    old = client.post(LOGIN, {"username": "alice", "password": "alice-password"})
    assert old.status_code == 200
    new = client.post(LOGIN, {"username": "alice", "password": NEW_PASSWORD})
    assert (new.status_code, new.url) == (302, "/")


def test_changing_the_password_needs_the_old_one(client, user):
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert b"Your old password was entered incorrectly" in response.content
    user.refresh_from_db()
    assert user.check_password("alice-password")


def test_changing_the_password_refuses_a_weak_one(client, user):
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "alice-password",
            "new_password1": "12345678",
            "new_password2": "12345678",
        },
    )
    assert response.status_code == 200
    assert b"This password is too common" in response.content
    user.refresh_from_db()
    assert user.check_password("alice-password")
