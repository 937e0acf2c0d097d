"""How Rapport writes counts, days, times and durations: one copy for the pages, the emails and
the message scripts, so that a date reads the same wherever it appears ("Mon 14 Dec")."""

from datetime import date, datetime, timedelta, tzinfo

# Cities whose IANA names cannot carry how people write them (apostrophes, accents).
CITY_NAMES = {
    "St_Johns": "St John's",
    "DumontDUrville": "Dumont d'Urville",
    "Sao_Paulo": "São Paulo",
    "Curacao": "Curaçao",
}


def plural(n: int, word: str, words: str | None = None) -> str:
    """ "1 reply owed", "3 replies owed" (`words`: the plural, when it is not word + s)."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def day_date(day: date) -> str:
    """ "Mon 14 Dec"."""
    return f"{day:%a} {day.day} {day:%b}"


def day_date_year(day: date) -> str:
    """ "Mon 14 Dec 2026"."""
    return f"{day_date(day)} {day.year}"


def city(zone: tzinfo | str) -> str:
    """A time zone as people name it: "Europe/Berlin" → "Berlin", "America/St_Johns" → "St
    John's", "America/Los_Angeles" → "Los Angeles", "UTC" → "UTC"."""
    key = zone if isinstance(zone, str) else getattr(zone, "key", None) or str(zone)
    name = key.rsplit("/", 1)[-1]
    return CITY_NAMES.get(name, name.replace("_", " "))


def hm(at: datetime) -> str:
    """ "14:05"."""
    return f"{at:%H:%M}"


def day_hm(at: datetime) -> str:
    """ "Mon 14:05"."""
    return f"{at:%a %H:%M}"


def date_hm(at: datetime) -> str:
    """ "Mon 14 Dec 14:05"."""
    return f"{day_date(at)} {at:%H:%M}"


def duration(value: timedelta | None) -> str:
    """A timedelta in words: "3 h 20 min", "45 min", "2 d 4 h" ("" for None)."""
    if value is None:
        return ""
    minutes = int(abs(value).total_seconds() // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes and not days else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"
