"""The links in emails: snooze a flag for a day, open the week's review, unsubscribe.

The snooze and unsubscribe links work without signing in: the signed token is the credential
(it names the freelancer and the object, is made for that one purpose, and expires; see
engagements.links). Their POST is therefore csrf_exempt: a mail provider's one-click unsubscribe
(RFC 8058) posts without cookies, and a forged cross-site POST would need the token, which only
the email carries.

GET never acts, because mail scanners fetch every link in a message: it shows what the link will
do and a button that POSTs; the POST acts. A tampered, truncated, expired or wrong-purpose token
is a 400 page saying which, and nothing happens.

The review link signs nobody in: it sends the signed-in freelancer it was made for to that week's
review (through the login page first when needed), and someone signed in as another user to a
404 page.
"""

from datetime import timedelta
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from clients.formats import date_hm
from clients.models import FreelancerProfile
from engagements import links
from engagements.emails import PREFERENCE
from engagements.models import Flag, OutboundEmail
from engagements.review import parse_week

SNOOZE_FOR = timedelta(days=1)
SNOOZE_REASON = "Snoozed for a day from the email."


def bad_link(request, error: links.BadLink):
    return render(request, "email_pages/bad_link.html", {"expired": error.expired}, status=400)


def result(request, title: str, text: str, status: int = 200):
    return render(
        request, "email_pages/link_result.html", {"title": title, "text": text}, status=status
    )


def signed_link(purpose: str):
    """Decorate a link view: it gets the payload of the token in `?t=`; a bad token is the 400
    page and the view never runs."""

    def decorator(view):
        @wraps(view)
        def wrapper(request):
            try:
                data = links.read(purpose, request.GET.get("t"))
            except links.BadLink as e:
                return bad_link(request, e)
            return view(request, data)

        return wrapper

    return decorator


def _zone(owner_id: int):
    profile = FreelancerProfile.objects.filter(user_id=owner_id).first()
    return profile.zone if profile else timezone.get_current_timezone()


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
@signed_link(links.SNOOZE)
def snooze(request, data):
    token = request.GET["t"]
    flag = (
        Flag.objects.filter(pk=data.get("f"), owner_id=data.get("u"))
        .select_related("client")
        .first()
    )
    if flag is None:
        return result(
            request,
            "Nothing to snooze",
            "That flag no longer exists (its client was deleted).",
            404,
        )
    with timezone.override(_zone(flag.owner_id)):
        if used := links.first_use(token):
            return already_used(request, used)
        if flag.state == Flag.State.RESOLVED:
            return result(request, "Nothing to snooze", f"Already resolved: {flag.summary}.")
        now = timezone.now()
        until = now + SNOOZE_FOR
        if request.method == "GET":
            return render(
                request, "email_pages/snooze_confirm.html", {"flag": flag, "until": until}
            )

        def act() -> str:
            if flag.snooze(until, SNOOZE_REASON, now=now):
                return f"{flag.summary} — snoozed until {date_hm(timezone.localtime(until))}."
            return f"It changed meanwhile: {flag.summary}."

        first, used = links.use_once(links.SNOOZE, token, flag.owner_id, act, now)
        if not first:
            return already_used(request, used)
        snoozed = flag.state == Flag.State.SNOOZED and flag.snoozed_until == until
        return result(
            request, "Snoozed for a day" if snoozed else "Nothing to snooze", used.outcome
        )


def already_used(request, used):
    return result(
        request,
        "This link was already used",
        f"It was used on {date_hm(timezone.localtime(used.used_at))}: {used.outcome} "
        "Each link in an email acts once; nothing was changed this time.",
        409,
    )


@login_not_required
@require_GET
@signed_link(links.REVIEW)
def review(request, data):
    week = parse_week(str(data.get("w", "")))
    if week is None:
        return bad_link(request, links.BadLink(expired=False))
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.pk != data.get("u"):
        return result(
            request,
            "Not your review",
            f"This link was sent to another account; you are signed in as {request.user}.",
            404,
        )
    return redirect("review-week", week=data["w"])


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
@signed_link(links.UNSUBSCRIBE)
def unsubscribe(request, data):
    kind = data.get("k")
    if kind not in PREFERENCE:
        return bad_link(request, links.BadLink(expired=False))
    label = OutboundEmail.Kind(kind).label.lower()
    profile = FreelancerProfile.objects.filter(user_id=data.get("u")).select_related("user").first()
    if profile is None:
        return result(request, "Nothing to unsubscribe", "That account no longer exists.", 404)
    field = PREFERENCE[kind]
    if request.method == "GET":
        if not getattr(profile, field):
            return result(request, "Already unsubscribed", f"You no longer get the {label} email.")
        return render(
            request,
            "email_pages/unsubscribe_confirm.html",
            {"label": label, "email": profile.user.email},
        )
    FreelancerProfile.objects.filter(pk=profile.pk).update(**{field: False})
    return result(
        request,
        "Unsubscribed",
        f"You will no longer get the {label} email. You can turn it back on in your settings.",
    )
