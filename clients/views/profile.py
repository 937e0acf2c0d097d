from django.shortcuts import render


def profile_settings(request):
    return render(request, "settings/profile.html", {"profile": request.profile})
