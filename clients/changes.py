"""Automatic change records: the one pathway by which edits to tracked fields are written down."""

import copy
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction


@dataclass(frozen=True)
class ChangeNote:
    """Who asked for the change and whether it was confirmed in writing."""

    requested_by: str = "freelancer"
    confirmed_in_writing: bool = False
    reference: str = ""


class ChangeTracked(models.Model):
    """Abstract base: saving a change to a field in `tracked_fields` appends a ChangeRecord.

    Set `instance.change_note = ChangeNote(...)` before save() to say who asked and whether it
    was confirmed in writing; without it the freelancer asked and nothing is confirmed.
    """

    tracked_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._tracked_before = {
            name: copy.deepcopy(getattr(instance, name))
            for name in cls.tracked_fields
            if name in field_names
        }
        return instance

    def tracked_changes(self) -> list[tuple[str, object, object]]:
        before = getattr(self, "_tracked_before", {})
        return [
            (name, old, getattr(self, name))
            for name, old in before.items()
            if getattr(self, name) != old
        ]

    def save(self, *args, **kwargs):
        changes = [] if self._state.adding else self.tracked_changes()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if changes:
                ChangeRecord = apps.get_model("engagements", "ChangeRecord")
                ChangeRecord.record(
                    self, changes, getattr(self, "change_note", None) or ChangeNote()
                )
        self._tracked_before = {
            name: copy.deepcopy(getattr(self, name)) for name in self.tracked_fields
        }
        self.change_note = None
