"""Automatic change records: the one pathway by which edits to tracked fields are written down.

The records themselves are an engagements model (they also cover engagements and expectations);
this app, which imports no other, announces each change with the `fields_changed` signal, and
engagements writes the records (connected in EngagementsConfig.ready). The signal is sent inside
the save's transaction, so a change and its record are saved together or not at all.
"""

import copy
from dataclasses import dataclass

from django.db import models, transaction
from django.dispatch import Signal

# Sent with instance=, changes=[(field, old, new), …] and note= (a ChangeNote).
fields_changed = Signal()


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

    def _snapshot(self, names) -> None:
        before = getattr(self, "_tracked_before", {})
        self._tracked_before = before | {name: copy.deepcopy(getattr(self, name)) for name in names}

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        # What was just read from the database is the new "before": without this, saving a
        # refreshed instance would record again a change that someone else already recorded.
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        deferred = self.get_deferred_fields()
        self._snapshot(
            name
            for name in self.tracked_fields
            if (fields is None or name in fields) and name not in deferred
        )

    def save(self, *args, **kwargs):
        # With update_fields, only the fields written are recorded (and re-snapshotted): a change
        # that was not saved is not a change yet.
        update_fields = kwargs.get("update_fields")
        saved = [n for n in self.tracked_fields if update_fields is None or n in update_fields]
        changes = [] if self._state.adding else [c for c in self.tracked_changes() if c[0] in saved]
        with transaction.atomic():
            super().save(*args, **kwargs)
            if changes:
                note = getattr(self, "change_note", None) or ChangeNote()
                fields_changed.send(type(self), instance=self, changes=changes, note=note)
        deferred = self.get_deferred_fields()
        self._snapshot(name for name in saved if name not in deferred)
        self.change_note = None
