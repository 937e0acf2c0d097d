from django.db.models import Max
from django.shortcuts import render
from django.utils import timezone

from clients.models import Client


def dashboard(request):
    now = timezone.now()
    clients = list(
        Client.objects.owned_by(request.user).annotate(
            last_interaction_at=Max("interactions__occurred_at")
        )
    )
    for client in clients:
        client.local_now = now.astimezone(client.zone)
    return render(
        request,
        "dashboard/dashboard.html",
        {"clients": clients, "profile": request.profile, "now_local": now},
    )
