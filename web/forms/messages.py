"""One wording for the validation messages that forms share: a limit reads the same on every
page, whether the form's field or the model behind it found the value out of bounds.

Every form mixes in `PlainMessages` (a test walks web/ to see that each one does). Messages are
matched by their code, so that Django's "Ensure this value is greater than or equal to 1." and
the model's own checks both come out as "Must be at least 1."; a form that says something more
particular for one field (error_messages=…) keeps its own words.
"""

from typing import Any

MESSAGES = {
    "min_value": "Must be at least %(limit_value)s.",
    "max_value": "Must be at most %(limit_value)s.",
    "min_length": "Must be at least %(limit_value)d characters long (this has %(show_value)d).",
    "max_length": "Must be at most %(limit_value)d characters long (this has %(show_value)d).",
}


class PlainMessages:
    """Form mixin: the house wording for each field's limits (ModelForms apply a field's
    messages to the model's errors of the same code, too)."""

    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages = MESSAGES | field.error_messages
