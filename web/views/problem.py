"""A request refused as a whole, in Rapport's style: a page, or for htmx a notice put above the
page's content (the form and what was typed in it stay as they are)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def problem(request: HttpRequest, status: int, title: str, *lines: str) -> HttpResponse:
    context = {"title": title, "lines": [*lines, "Nothing was saved."]}
    if getattr(request, "htmx", False):
        response = render(request, "problem.html#problem", context, status=status)
        response["HX-Retarget"] = "#main"
        response["HX-Reswap"] = "afterbegin show:top"
        return response
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(referer, {request.get_host()}):
        context["back"] = referer
    return render(request, "problem.html", context, status=status)
