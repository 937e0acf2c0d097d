from django.shortcuts import render

from clients.models import Client


def client_list(request):
    return render(
        request, "clients/client_list.html", {"clients": Client.objects.owned_by(request.user)}
    )
