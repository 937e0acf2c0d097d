"""The whole account: export as a zip of JSON files, import into an empty account, delete.

Each JSON file holds one model's rows as they are stored (ids included, owner left out), so an
import can link them again: every row gets a new id, and every reference (a contact's client, a
flag's subject "interaction:40") is translated to the new ids. ClientActivity is rebuilt from the
log, and the outbox of emails and webhooks is not part of an account's content.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone

from clients.models import (
    Boundaries,
    Client,
    Contact,
    DayOff,
    FreelancerProfile,
    MessageScript,
    WorkingWindow,
)
from engagements import dashboard_cache
from engagements.models import (
    ChangeRecord,
    Engagement,
    Expectation,
    Flag,
    HealthSnapshot,
    Interaction,
    ReviewEntry,
    WeeklyReview,
)
from engagements.services import evaluate_soon

FORMAT = 1
MAX_BYTES = 50 * 1024 * 1024  # the zip as uploaded
MAX_UNPACKED = 500 * 1024 * 1024  # what it unpacks to

# (file, model), in an order where every reference points to a file before it.
SECTIONS: list[tuple[str, type[models.Model]]] = [
    ("hours.json", WorkingWindow),
    ("days_off.json", DayOff),
    ("clients.json", Client),
    ("contacts.json", Contact),
    ("boundaries.json", Boundaries),
    ("engagements.json", Engagement),
    ("expectations.json", Expectation),
    ("change_records.json", ChangeRecord),
    ("interactions.json", Interaction),
    ("flags.json", Flag),
    ("health_snapshots.json", HealthSnapshot),
    ("reviews.json", WeeklyReview),
    ("review_entries.json", ReviewEntry),
    ("scripts.json", MessageScript),
]
PROFILE_FILE = "profile.json"
# Flag subjects name an object by kind and id ("interaction:40").
SUBJECT_MODELS: dict[str, type[models.Model]] = {
    "client": Client,
    "expectation": Expectation,
    "interaction": Interaction,
    "change": ChangeRecord,
}


class AccountFileProblem(Exception):
    """The upload is not an account export that can go into this account; nothing was saved."""


def stored_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """What an export holds of a row: everything but whose account it is."""
    return [f for f in model._meta.concrete_fields if f.name not in ("owner", "user", "profile")]


def rows_of(model: type[models.Model], owner_id: int) -> models.QuerySet[Any, dict[str, Any]]:
    names = [f.attname for f in stored_fields(model)]
    mine = {"profile__user_id" if model in (WorkingWindow, DayOff) else "owner_id": owner_id}
    return model._default_manager.filter(**mine).order_by("pk").values(*names)


def export_account(user: AbstractBaseUser) -> bytes:
    """The account as a zip: profile.json, then one file per model (see SECTIONS)."""
    profile = FreelancerProfile.for_user(user)
    names = [f.attname for f in stored_fields(FreelancerProfile) if f.name != "id"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        about = {
            "format": FORMAT,
            "exported_at": timezone.now(),
            "profile": FreelancerProfile.objects.filter(pk=profile.pk).values(*names).get(),
        }
        archive.writestr(PROFILE_FILE, dumps(about))
        for name, model in SECTIONS:
            archive.writestr(name, dumps(list(rows_of(model, profile.user_id))))
    return out.getvalue()


def dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)


# Import -------------------------------------------------------------------------------------


@dataclass
class Imported:
    counts: dict[str, int]

    def __str__(self) -> str:
        return ", ".join(
            f"{n} {name.removesuffix('.json')}" for name, n in self.counts.items() if n
        )


def is_empty(owner_id: int) -> bool:
    return not any(
        model._default_manager.filter(owner_id=owner_id).exists()
        for model in (Client, MessageScript, WeeklyReview)
    )


def import_account(user: AbstractBaseUser, data: bytes) -> Imported:
    """Put an export into this account, which must be empty; all or nothing."""
    if len(data) > MAX_BYTES:
        raise AccountFileProblem(f"The file is over {MAX_BYTES // 1024 // 1024} MB.")
    if not is_empty(user.pk):
        raise AccountFileProblem(
            "This account already has clients, scripts or reviews: an account export can only "
            "go into an empty account."
        )
    try:
        files = unpack(data)
        with transaction.atomic():
            return load(user.pk, files)
    except AccountFileProblem:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, ValidationError) as e:
        raise AccountFileProblem(f"The export cannot be read: {describe(e)}") from None
    except (IntegrityError, DatabaseError) as e:
        raise AccountFileProblem(f"The export does not hold together: {e}") from None


def describe(error: Exception) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(f"{name}: {' '.join(m)}" for name, m in error.message_dict.items())
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    if isinstance(error, KeyError):
        return f"{error} is missing."
    return str(error)


def unpack(data: bytes) -> dict[str, Any]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise AccountFileProblem(
            "This is not a zip file: upload the account export as it was downloaded."
        ) from None
    with archive:
        infos = {i.filename: i for i in archive.infolist()}
        wanted = [PROFILE_FILE, *(name for name, _ in SECTIONS)]
        missing = [name for name in wanted if name not in infos]
        if missing:
            raise AccountFileProblem(
                f"This is not a Rapport account export: {', '.join(missing)} missing."
            )
        if sum(infos[name].file_size for name in wanted) > MAX_UNPACKED:
            raise AccountFileProblem("The export unpacks to more than we accept.")
        try:
            files = {name: json.loads(archive.read(name)) for name in wanted}
        except (ValueError, zipfile.BadZipFile, RuntimeError) as e:
            raise AccountFileProblem(f"A file in the export cannot be read: {e}") from None
    if not isinstance(files[PROFILE_FILE], dict) or files[PROFILE_FILE].get("format") != FORMAT:
        raise AccountFileProblem("This export is of a format this version does not read.")
    return files


def value_of(field: models.Field[Any, Any], raw: Any) -> Any:
    if raw is None or isinstance(field, models.JSONField):
        return raw
    return field.to_python(raw)


def load(owner_id: int, files: dict[str, Any]) -> Imported:
    profile = FreelancerProfile.for_user(owner_id)
    saved = files[PROFILE_FILE]["profile"]
    for f in stored_fields(FreelancerProfile):
        if f.attname in saved and f.name != "id":
            setattr(profile, f.attname, value_of(f, saved[f.attname]))
    profile.full_clean()
    profile.save()
    profile.working_windows.all().delete()
    profile.days_off.all().delete()

    new_ids: dict[type[models.Model], dict[int, int]] = {}
    counts = {}
    for name, model in SECTIONS:
        rows = files[name]
        if not isinstance(rows, list):
            raise AccountFileProblem(f"{name} is not a list of rows.")
        objects, kept_times = build(model, rows, owner_id, profile, new_ids)
        created = model._default_manager.bulk_create(objects, batch_size=1000)
        new_ids[model] = {row["id"]: obj.pk for row, obj in zip(rows, created, strict=True)}
        if kept_times:  # auto_now(_add) fields took the time of the import: put theirs back
            for obj, times in zip(created, kept_times, strict=True):
                for attname, value in times.items():
                    setattr(obj, attname, value)
            model._default_manager.bulk_update(created, list(kept_times[0]), batch_size=1000)
        counts[name] = len(created)
    dashboard_cache.changed(owner_id)
    evaluate_soon(owner_id)
    return Imported(counts)


def build(
    model: type[models.Model],
    rows: Iterable[Any],
    owner_id: int,
    profile: FreelancerProfile,
    new_ids: dict[type[models.Model], dict[int, int]],
) -> tuple[list[models.Model], list[dict[str, datetime]]]:
    fields = {f.attname: f for f in stored_fields(model)}
    stamped = [
        f.attname
        for f in fields.values()
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    objects, kept_times = [], []
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("id"), int):
            raise AccountFileProblem(f"A row of {model._meta.verbose_name_plural} has no id.")
        unknown = set(row) - set(fields)
        if unknown:
            raise AccountFileProblem(
                f"{model._meta.verbose_name_plural} has unknown fields: {', '.join(sorted(unknown))}."
            )
        values: dict[str, Any] = {}
        for attname, raw in row.items():
            f = fields[attname]
            if f.primary_key:
                continue
            if f.is_relation and raw is not None:
                target = f.related_model
                assert isinstance(target, type)
                try:
                    values[attname] = new_ids[target][raw]
                except KeyError:
                    raise AccountFileProblem(
                        f"A row of {model._meta.verbose_name_plural} points to a "
                        f"{target._meta.verbose_name} that is not in the export."
                    ) from None
            else:
                values[attname] = value_of(f, raw)
        if model is Flag:
            kind, _, old = str(values["subject"]).partition(":")
            subject_model = SUBJECT_MODELS.get(kind)
            if subject_model is not None and old.isdigit():
                values["subject"] = f"{kind}:{new_ids[subject_model][int(old)]}"
        obj = model(**values)
        if hasattr(model, "owner_id"):
            setattr(obj, "owner_id", owner_id)  # noqa: B010 (any Owned model)
        else:  # working windows and days off belong to the profile
            setattr(obj, "profile_id", profile.pk)  # noqa: B010
        check_values(obj, fields.values())
        objects.append(obj)
        if stamped:
            kept_times.append({a: values[a] for a in stamped if a in values})
    return objects, kept_times


def check_values(obj: models.Model, fields: Iterable[models.Field[Any, Any]]) -> None:
    """The fields' own validation (lengths, choices, time zones) of every value given; an empty
    value is left to the database's NOT NULL (as a default list or "" is fine where no form
    would accept it)."""
    for f in fields:
        value = getattr(obj, f.attname)
        if f.is_relation or f.primary_key or value in f.empty_values:
            continue
        try:
            f.clean(value, obj)
        except ValidationError as e:
            raise AccountFileProblem(
                f"A row of {obj._meta.verbose_name_plural} is not valid: "
                f"{f.name}: {' '.join(e.messages)}"
            ) from None


# Deletion -----------------------------------------------------------------------------------


def delete_account(user: AbstractBaseUser) -> dict[str, int]:
    """Every row of the account, and the user: (model label → rows deleted). Sign-in records
    (django-axes) are kept by user name rather than by foreign key, so they go by name."""
    name = user.get_username()
    with transaction.atomic():
        _, per_model = user.delete()
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            deleted, _ = model.objects.filter(username=name).delete()
            if deleted:
                per_model[model._meta.label] = deleted
    return per_model
