"""Hostile input on every page: no answer is a 5xx, and an error answer has written nothing.

The pages are found as tests/test_isolation.py finds them, by walking the URL patterns (a new
page is fuzzed the day it is added). Each is opened as the signed-in owner of one of each kind
of object (the `world` fixture); its forms (and the buttons that post elsewhere) are read from the HTML, and the
query parameters from its links. Hypothesis (derandomized: a run is repeatable) then sends one
of them with plausible values, except for the fields of one kind (dates, times, texts, numbers,
choices, hidden ids, `next`), all or one of which get a hostile value: a NUL byte, a huge text,
year 1 or 9999, a choice that is not offered, a number too large for any column, a negative
number, an id that is not a number, a `next` that is not a local path; as a plain request or
htmx, and now and then with one field too large for Django altogether (3 MB).

Every table of the domain apps is read before and after each request: the rows must read back
(a timestamp past year 9999 would not), and after a 4xx they must be unchanged. After a request
that wrote, the pages that show what was written must still open.
"""

import os
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from clients.validation import TEXT_LIMIT
from tests.test_isolation import ALL_ROUTES

# The most damaging value of each kind first: hypothesis tries the simplest plan (index 0) first.
ANY = ["", "\x00", "a\x00b"]
IDS = ["9" * 5000, "9" * 19, "-1", "0", "abc", "²", "٣", "1.5"]
HOSTILE = {
    "text": ["a\x00b", "x" * (TEXT_LIMIT + 1), "é" * 70_000, "\x00", "", " ", "<b>x</b>"],
    "date": ["0001-01-01", "9999-12-31", "1969-12-31", "2201-01-01", "2026-02-30", "x", *ANY],
    "datetime-local": ["0001-01-01T00:00", "9999-12-31T23:59", "9999-12-31", "x", *ANY],
    "time": ["25:61", "-1", "9" * 5000, *ANY],
    "number": [*IDS, "1e400", "nan", *ANY],
    "choice": ["garbage", *IDS, *ANY],
    "hidden": [*IDS, *ANY],
    "next": ["x", "//evil.example/", "https://evil.example/", "/\r\nSet-Cookie: x=1", "/a b"],
}
TEXT_TYPES = {"text", "search", "email", "tel", "url", "password", "textarea"}
TOO_LARGE = "x" * 3_000_000  # over DATA_UPLOAD_MAX_MEMORY_SIZE
# Query parameters tried on every page, beside those its links use.
COMMON_PARAMS = {"next", "client", "page", "all"}
# Forms that end the session: posting them would sign the fuzzer out.
SKIPPED_ACTIONS = ("/accounts/logout/", "/accounts/password/")
# Pages read back after a request wrote something (and the world's client page).
READ_BACK = ["/", "/clients/", "/review/", "/email/reminders/"]
# Per form, action and kind of field (more for a deeper run by hand).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
DOMAIN_MODELS = [m for m in apps.get_models() if m._meta.app_label in ("clients", "engagements")]
# A value each kind of input accepts when the page leaves it empty: so that a form is valid but
# for its hostile values (a poison date is only saved by a form that is otherwise fine).
PLAUSIBLE = {
    "email": "fuzz@example.com",
    "number": "5",
    "time": "09:00",
    "date": f"{timezone.localdate() + timedelta(days=3):%Y-%m-%d}",
    "datetime-local": "",
    "hidden": "",
}


class PageParts(HTMLParser):
    """The forms of a page (its actions, its method, and each field's kind, a plausible value
    and its options) and the names of the query parameters its links use."""

    def __init__(self, url: str):
        super().__init__()
        self.url, self.forms, self.params = url, [], set()
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for link in (a.get("href"), a.get("hx-get")):
            if link:
                self.params |= {k for k, _ in parse_qsl(urlsplit(link).query)}
        if tag == "form":
            self._form = {
                "actions": [a.get("action") or self.url],
                "method": (a.get("method") or "get").lower(),
                "fields": {},
            }
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        fields, name = self._form["fields"], a.get("name")
        if tag == "button" and a.get("formaction"):
            self._form["actions"].append(a["formaction"])
        elif tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                field = fields.setdefault(name, field_of("choice", ""))
                field["options"].append(a.get("value", "on"))
                if "checked" in a or (kind == "radio" and not field["value"]):
                    field["value"] = a.get("value", "on")
            elif kind not in ("submit", "button", "reset", "file", "image"):
                value = a.get("value") or PLAUSIBLE.get(kind, "Fuzz")
                fields[name] = field_of("text" if kind in TEXT_TYPES else kind, value)
        elif tag == "textarea" and name:
            fields[name] = field_of("text", "Fuzz")
        elif tag == "select" and name:
            self._select = fields[name] = field_of("choice", "")
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select["options"].append(value)
            if "selected" in a or (not self._select["value"] and value):
                self._select["value"] = value

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def field_of(kind: str, value: str) -> dict:
    return {"kind": kind if kind in HOSTILE else "text", "value": value, "options": []}


# One example: which value of the kind, into every field of that kind or one, which other
# option for one field, plain or htmx, and now and then one field too large for Django. Drawn
# in the same shape whatever the form holds (hypothesis replays a choice sequence and must find
# the same draws): indices, taken modulo what there is.
PLAN = st.fixed_dictionaries(
    {
        "value": st.integers(0, 99),
        "field": st.integers(-1, 99),  # -1: every field of the kind
        "other_option": st.booleans(),
        "option": st.tuples(st.integers(0, 99), st.integers(0, 99)),
        "htmx": st.booleans(),
        "too_large": st.integers(0, 19),
    }
)


def fill(fields: dict[str, dict], kind: str, plan: dict) -> dict[str, str]:
    """The fields' plausible values, one other option, then the plan's hostile values for the
    fields of `kind` (`next` is a field of every request)."""
    fields = {**fields, "next": field_of("next", "/")}
    names = sorted(fields)
    values = {name: fields[name]["value"] for name in names}
    picked, option = names[plan["option"][0] % len(names)], plan["option"][1]
    if plan["other_option"] and (options := fields[picked]["options"]):
        values[picked] = options[option % len(options)]
    targets = [name for name in names if fields[name]["kind"] == kind]
    if targets and plan["field"] >= 0:
        targets = [targets[plan["field"] % len(targets)]]
    for name in targets:
        values[name] = HOSTILE[kind][plan["value"] % len(HOSTILE[kind])]
    if plan["too_large"] == 7:
        values[picked] = TOO_LARGE
    return values


@pytest.mark.parametrize("route", [pytest.param(r, id=r.name) for r in ALL_ROUTES])
def test_no_hostile_input_is_a_server_error_or_writes_after_an_error(route, web, world):
    """Each form of the page, once for each kind of field it has; the query string too."""
    url = route.url([world[key] for key in route.objects()])
    parts = read(web, url)
    read_back = [*READ_BACK, f"/clients/{world['client'].pk}/"]
    params = {name: field_of("hidden", "1") for name in parts.params | COMMON_PARAMS}
    requests = [(web.get, url, params, kind) for kind in ("hidden", "next")]
    seen = set()
    for form in parts.forms:
        # One of each form (the dashboard has an Acknowledge form per flag).
        shape = (re.sub(r"\d+", "#", form["actions"][0]), *sorted(form["fields"]))
        if form["actions"][0].startswith(SKIPPED_ACTIONS) or shape in seen:
            continue
        seen.add(shape)
        fields = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
        send = web.get if form["method"] == "get" else web.post
        for action in form["actions"]:
            kinds = {f["kind"] for f in fields.values()} | {"next"}
            requests += [(send, action, fields, kind) for kind in sorted(kinds)]

    for send, action, fields, kind in requests:
        fuzz(web, send, action, fields, kind, read_back)


def fuzz(web, send, action: str, fields: dict, kind: str, read_back: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],  # a plan is a handful of indices: nothing to shrink
        suppress_health_check=list(HealthCheck),
    )
    @given(plan=PLAN)
    def attack(plan):
        cache.clear()
        with transaction.atomic():  # every example starts from the same world
            headers = {"HTTP_HX_REQUEST": "true"} if plan["htmx"] else {}
            if check(send, action, fill(fields, kind, plan), headers):
                for page in read_back:
                    assert web.get(page).status_code < 500, f"GET {page} after that write"
            transaction.set_rollback(True)

    attack()


def read(web, url: str) -> PageParts:
    page = web.get(url)
    assert page.status_code < 500, f"GET {url}: {page.status_code}"
    parts = PageParts(url)
    if page.status_code == 200 and page.get("Content-Type", "").startswith("text/html"):
        parts.feed(page.content.decode())
    return parts


def snapshot() -> dict:
    return {m._meta.label: list(m.objects.order_by("pk").values_list()) for m in DOMAIN_MODELS}


def check(send, url: str, values: dict, headers: dict) -> bool:
    """Send the request; True if it wrote something (and was allowed to)."""
    before = snapshot()
    where = f"{send.__name__.upper()} {url} {shorten(values)} {headers}"
    try:
        with transaction.atomic():  # a database error rolls back to here, and fails the test
            response = send(url, values, **headers)
            after = snapshot()  # every row written reads back
    except Exception as e:
        raise AssertionError(f"{where} raised {e!r}") from e
    assert response.status_code < 500, f"{where}: {response.status_code}"
    if response.status_code >= 400:
        assert after == before, f"{where}: {response.status_code}, but rows changed"
    return after != before


def shorten(values: dict) -> str:
    return urlencode({k: v if len(v) < 40 else f"{v[:20]}…({len(v)})" for k, v in values.items()})
