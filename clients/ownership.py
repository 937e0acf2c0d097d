"""Every row belongs to exactly one user; `.owned_by(user)` is the one way to scope a query."""

from typing import Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def owner_of(instance: Any) -> int | None:
    """The user a row belongs to: its owner; the profile's user; the user of the profile of a
    working window or day off."""
    owner_id = getattr(instance, "owner_id", None) or getattr(instance, "user_id", None)
    if owner_id is None and getattr(instance, "profile_id", None):
        owner_id = instance.profile.user_id
    return owner_id


class OwnedQuerySet(models.QuerySet):
    def owned_by(self, user: object) -> Self:
        return self.filter(owner=user)


class Owned(models.Model):
    """Abstract base: an `owner` column on every row, copied from the parent named in `owner_from`.

    Children (a contact, an expectation, an interaction) take their owner from their client, so
    the owner can never disagree with the parent's.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False
    )
    owner_from: str | None = None

    objects = OwnedQuerySet.as_manager()

    class Meta:
        abstract = True

    def _parents(self):
        return [
            getattr(self, f.name)
            for f in self._meta.concrete_fields
            if f.is_relation
            and f.name != "owner"
            and getattr(self, f.attname) is not None
            and hasattr(f.related_model, "owner")
        ]

    def clean(self) -> None:
        super().clean()
        if self.owner_from and getattr(self, f"{self.owner_from}_id", None):
            self.owner_id = getattr(self, self.owner_from).owner_id
        for parent in self._parents() if self.owner_id else ():
            if parent.owner_id != self.owner_id:
                raise ValidationError(f"That {parent._meta.verbose_name} belongs to someone else.")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.owner_from and getattr(self, f"{self.owner_from}_id", None):
            self.owner_id = getattr(self, self.owner_from).owner_id
        super().save(*args, **kwargs)
