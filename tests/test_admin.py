"""The admin: every page opens for a superuser, other staff see only their own rows, and change
records are read-only there."""

from datetime import date, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import RecoveryCodeDevice, TOTPDevice
from clients.models import Boundaries, Client, Contact, FreelancerProfile
from clients.scripts_model import MessageScript
from engagements import emails
from engagements.models import (
    ChangeRecord,
    EmailStatus,
    Engagement,
    Expectation,
    FollowUp,
    HealthSnapshot,
    Interaction,
    OutboundEmail,
    ReviewEntry,
    WeeklyReview,
)
from inbox.models import Mailbox
from tests.factories import (
    ClientFactory,
    ContactFactory,
    EngagementFactory,
    ExpectationFactory,
    InteractionFactory,
)

OWNED_MODELS = [
    Client,
    Contact,
    Boundaries,
    Engagement,
    Expectation,
    Interaction,
    ChangeRecord,
    HealthSnapshot,
    WeeklyReview,
    ReviewEntry,
    OutboundEmail,
    FollowUp,
    EmailStatus,
    MessageScript,
    Mailbox,
]
# Written by the app only: readable in the admin, never added or edited there.
READ_ONLY = [ChangeRecord, OutboundEmail, FollowUp, EmailStatus]
# django-axes' records of sign-ins, and two-factor devices: no add page (an admin lifts a pause,
# or removes a lost device, by deleting it).
SIGN_IN_RECORDS = [AccessAttempt, AccessFailureLog, AccessLog, TOTPDevice, RecoveryCodeDevice]
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def world_of(owner, name):
    """One of each owned thing, the change record included, and the owner's profile."""
    FreelancerProfile.for_user(owner)
    client = ClientFactory(owner=owner, name=name, organisation=f"{name} Ltd")
    ContactFactory(client=client)
    expectation = ExpectationFactory(engagement=EngagementFactory(client=client))
    InteractionFactory(client=client)
    expectation.due += timedelta(days=7)
    expectation.save()
    HealthSnapshot.objects.create(client=client, week=date(2026, 11, 23), score=64)
    review = WeeklyReview.objects.create(owner=owner, week=date(2026, 11, 23))
    ReviewEntry.objects.create(review=review, client=client, decision="boundary", note="Hours")
    emails.schedule_follow_up(
        client=client, note="check in", remind_at=timezone.now() + timedelta(days=1)
    )  # a FollowUp and its OutboundEmail
    EmailStatus.objects.create(owner=owner, consecutive_failures=10, paused_at=timezone.now())
    MessageScript.objects.create(owner=owner, key="boundary", title="My hours", body="Hi {contact}")
    TOTPDevice.objects.create(user=owner, name="Authenticator", confirmed=False)
    RecoveryCodeDevice.objects.create(user=owner, name="Recovery codes", confirmed=False)
    seen = {"username": owner.username, "ip_address": "10.0.0.1", "user_agent": "test"}
    AccessAttempt.objects.create(**seen, failures_since_start=1, attempt_time=timezone.now())
    AccessFailureLog.objects.create(**seen, attempt_time=timezone.now())
    AccessLog.objects.create(**seen, attempt_time=timezone.now())
    Mailbox.objects.create(
        owner=owner, host="imap.example.com", username=name, password=f"{name}-secret-password"
    )
    return client


@pytest.fixture
def worlds(user, outsider):
    Group.objects.create(name="Freelancers")
    return world_of(user, "Northwind"), world_of(outsider, "Initech")


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "root-password")


@pytest.fixture
def staff(user):
    """Alice, staff but not superuser, may view (not change) everything of hers."""
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["clients", "engagements", "inbox"],
            codename__startswith="view_",
        )
    )
    return user


# --- a superuser can open everything --------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_a_superuser_can_open_the_changelist_of_every_model(client, superuser, worlds, model):
    client.force_login(superuser)
    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_a_superuser_can_open_one_of_every_model(client, superuser, worlds, model):
    client.force_login(superuser)
    obj = model._default_manager.order_by("pk").first()
    assert client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize(
    "model",
    [m for m in REGISTERED if m not in READ_ONLY + SIGN_IN_RECORDS],
    ids=lambda m: m._meta.label,
)
def test_a_superuser_can_open_the_add_page_of_every_model_but_the_read_only_ones(
    client, superuser, worlds, model
):
    client.force_login(superuser)
    assert client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m._meta.label)
def test_what_the_app_writes_is_read_only_in_the_admin(client, superuser, worlds, model):
    client.force_login(superuser)
    obj = model._default_manager.order_by("pk").first()
    assert client.get(url(model, "add")).status_code == 403
    page = client.get(url(model, "change", obj.pk))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    changelist = client.get(url(model, "changelist"))
    assert "delete_selected" not in changelist.context["cl"].model_admin.get_actions(
        changelist.wsgi_request
    )


def test_the_admin_resumes_a_paused_freelancers_email(client, superuser, worlds, user):
    client.force_login(superuser)
    response = client.post(
        url(EmailStatus, "changelist"), {"action": "resume", "_selected_action": [user.pk]}
    )
    assert response.status_code == 302
    assert EmailStatus.objects.get(owner=user).paused_at is None
    assert EmailStatus.objects.exclude(owner=user).get().paused_at is not None


def test_a_script_key_cannot_change_once_the_script_exists(client, superuser, worlds):
    client.force_login(superuser)
    script = MessageScript.objects.order_by("pk").first()
    assert (
        "key"
        not in client.get(url(MessageScript, "change", script.pk)).context["adminform"].form.fields
    )
    assert "key" in client.get(url(MessageScript, "add")).context["adminform"].form.fields


def test_a_superuser_sees_every_owners_clients(client, superuser, worlds):
    client.force_login(superuser)
    response = client.get(url(Client, "changelist"))
    assert b"Northwind" in response.content and b"Initech" in response.content


# --- other staff see only their own ------------------------------------------------------------


def test_staff_see_only_their_own_clients(client, staff, worlds):
    client.force_login(staff)
    response = client.get(url(Client, "changelist"))
    assert response.status_code == 200
    assert [c.name for c in response.context["cl"].result_list] == ["Northwind"]
    assert b"Initech" not in response.content


@pytest.mark.parametrize("model", OWNED_MODELS, ids=lambda m: m.__name__)
def test_staff_see_only_their_own_rows_of_every_owned_model(client, staff, worlds, model):
    client.force_login(staff)
    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    owners = {row.owner_id for row in response.context["cl"].result_list}
    assert owners == {staff.pk}


def test_staff_cannot_open_someone_elses_client(client, staff, worlds):
    _, initech = worlds
    client.force_login(staff)
    response = client.get(url(Client, "change", initech.pk))
    assert (response.status_code, response.url) == (302, reverse("admin:index"))
    assert b"Initech" not in client.get(response.url).content


def test_staff_see_only_their_own_profile(client, staff, worlds, outsider):
    client.force_login(staff)
    response = client.get(url(FreelancerProfile, "changelist"))
    assert [p.user_id for p in response.context["cl"].result_list] == [staff.pk]
    theirs = FreelancerProfile.objects.get(user=outsider)
    assert client.get(url(FreelancerProfile, "change", theirs.pk)).status_code == 302


def test_staff_can_only_pick_their_own_client_for_a_new_contact(client, staff, worlds):
    staff.user_permissions.add(Permission.objects.get(codename="add_contact"))
    client.force_login(staff)
    response = client.get(url(Contact, "add"))
    assert response.status_code == 200
    choices = response.context["adminform"].form.fields["client"].queryset
    assert [c.name for c in choices] == ["Northwind"]


def test_staff_without_staff_status_cannot_open_the_admin(client, user, worlds):
    client.force_login(user)
    response = client.get(url(Client, "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- change records are read-only --------------------------------------------------------------


@pytest.fixture
def record(worlds):
    return ChangeRecord.objects.order_by("pk").first()


def test_change_records_cannot_be_added_in_the_admin(client, superuser, record):
    client.force_login(superuser)
    assert client.get(url(ChangeRecord, "add")).status_code == 403
    assert client.post(url(ChangeRecord, "add"), {"subject": "x", "field": "y"}).status_code == 403
    assert ChangeRecord.objects.count() == 2


def test_change_records_cannot_be_changed_in_the_admin(client, superuser, record):
    client.force_login(superuser)
    page = client.get(url(ChangeRecord, "change", record.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = client.post(url(ChangeRecord, "change", record.pk), {"to_value": "forged"})
    assert response.status_code == 403
    assert ChangeRecord.objects.get(pk=record.pk).to_value == record.to_value


def test_change_records_cannot_be_deleted_in_the_admin(client, superuser, record):
    client.force_login(superuser)
    assert client.get(url(ChangeRecord, "delete", record.pk)).status_code == 403
    assert client.post(url(ChangeRecord, "delete", record.pk), {"post": "yes"}).status_code == 403
    client.post(
        url(ChangeRecord, "changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert ChangeRecord.objects.filter(pk=record.pk).exists()


def test_the_change_record_changelist_offers_no_bulk_delete(client, superuser, record):
    client.force_login(superuser)
    response = client.get(url(ChangeRecord, "changelist"))
    assert "delete_selected" not in response.context["cl"].model_admin.get_actions(
        response.wsgi_request
    )
    assert b"Delete selected" not in response.content


def test_a_superuser_can_delete_a_client_and_its_change_records_in_the_admin(
    client, superuser, worlds
):
    northwind, _ = worlds
    client.force_login(superuser)
    response = client.post(url(Client, "delete", northwind.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Client.objects.filter(pk=northwind.pk).exists()
    assert not ChangeRecord.objects.filter(client_id=northwind.pk).exists()


def test_a_mailbox_password_is_never_on_an_admin_page(client, superuser, worlds):
    client.force_login(superuser)
    mailbox = Mailbox.objects.get(username="Northwind")
    pages = [url(Mailbox, "changelist"), url(Mailbox, "change", mailbox.pk)]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200
        assert "Northwind-secret-password" not in response.content.decode()
        assert 'name="password"' not in response.content.decode()
