"""A freelancer's own message scripts, and their edits of the built-in ones.

A row whose key is a built-in's (clients.scripts.BUILTINS) overrides that built-in for its owner;
deleting it brings the built-in wording back. Any other key is the freelancer's own script.
The key is what `Interaction.script` records when a script is logged as sent, so it never
changes once the row exists.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

from clients.ownership import Owned
from clients.scripts import BUILTINS, unknown_placeholders
from clients.validation import TEXT_LIMIT, no_nul, text_validators

KEY_LENGTH = 40  # Interaction.script's max_length


class MessageScript(Owned):
    key = models.SlugField(
        max_length=KEY_LENGTH, help_text="Recorded on interactions sent from it."
    )
    title = models.CharField(max_length=120, validators=[no_nul])
    body = models.TextField(max_length=TEXT_LIMIT, validators=text_validators())
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "key"],
                name="one_script_per_key_per_owner",
                violation_error_message="You already have a script with this key.",
            ),
            models.CheckConstraint(
                condition=~models.Q(key=""), name="message_script_key_not_empty"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_override(self) -> bool:
        return self.key in BUILTINS

    def clean(self):
        super().clean()
        errors = {}
        if not (self.title or "").strip():
            errors["title"] = "Give the script a title."
        if not (self.body or "").strip():
            errors["body"] = "The script needs some text."
        elif problems := unknown_placeholders(self.body):
            errors["body"] = problems
        if errors:
            raise ValidationError(errors)

    @classmethod
    def new_key(cls, owner_id: int, title: str) -> str:
        """A key for a new own script: its title as a slug, never a built-in's or one taken."""
        base = slugify(title)[: KEY_LENGTH - 4].strip("-") or "script"
        taken = set(
            cls.objects.filter(owner_id=owner_id, key__startswith=base).values_list(
                "key", flat=True
            )
        )
        key, n = base, 1
        while key in taken or key in BUILTINS:
            n += 1
            key = f"{base}-{n}"
        return key
