"""/email/sent/: every email Rapport wrote for the freelancer, newest first, with its state, and
a button to resume sending when repeated failures have paused it."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from engagements import sender
from engagements.models import EmailStatus, OutboundEmail

PAGE_SIZE = 50


def sent_emails(request):
    emails = (
        OutboundEmail.objects.owned_by(request.user)
        .history()
        .defer("html_body", "headers")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(emails, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "email_pages/sent.html",
        {
            "page": page,
            "status": EmailStatus.objects.filter(owner=request.user).first(),
            "max_failures": sender.MAX_FAILURES,
        },
    )


@require_POST
def resume(request):
    if sender.resume_email(request.user):
        messages.success(request, "Email resumed: what failed is being sent again.")
    else:
        messages.info(request, "Your email was not paused.")
    return redirect("email-sent")
