"""What the forms of every area share: the date and note widgets, and the keyed form of the pages that
move money. Each area's own small forms live in its `forms.py`.

They only turn raw input into typed values with Spanish field errors; the services decide.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from filon import numbers

DATE = numbers.DATE
NOTE = {"widget": forms.Textarea(attrs={"rows": 2})}
# What a keyed form's page may render in place of the key and then replace with a fresh one (the kept loan
# page); no input can hold a NUL character (filon.guards refuses it), so no data on a page is taken for it.
KEY_MARK = "\x00key\x00"


def new_key() -> str:
    return uuid.uuid4().hex


class KeyedForm(forms.Form):
    """A form that moves money carries the idempotency key minted when it is shown: posting the same form
    twice (double click, back and resubmit) carries the same key, and the service performs it once
    (`filon.idempotency`). The key is a hidden field rendered each time; after success the page shows a
    fresh form with a new key. Not named like the services' `idempotency_key`: a refusal of the key shows
    on top of the form, since a hidden field shows no errors of its own."""

    key = forms.CharField(max_length=80, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["key"] = new_key()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("key"):
            raise forms.ValidationError(
                "El formulario no trae su clave; recargue la página y capture la operación de nuevo."
            )
        return data
