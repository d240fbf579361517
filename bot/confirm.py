"""A yes/no question with its consequence, answered only by the person it was asked of."""

from __future__ import annotations

from bot.commands import Button, DeclarationError, Reply
from bot.i18n import Lines, Text, _

NO_ACTION = "core:no"  # the default No: the question is replaced by "Nothing was changed."


def confirmation(question: Text, consequence: Text, yes: str, *, owner_only: bool, yes_label: Text | None = None,
                 no: str = NO_ACTION, no_label: Text | None = None, danger: bool = True) -> Reply:
    """The question and what Yes will do, with Yes (the cog's action `yes`) and No. `owner_only` is the Yes
    action's declaration: a confirmation anyone could press is a declaration error."""
    if not owner_only:
        raise DeclarationError(f"confirm: the action {yes!r} must be declared owner_only=True")
    return Reply(Lines(question, consequence), private=True, buttons=[[
        Button(yes_label or _("Yes"), yes, style="danger" if danger else "primary"),
        Button(no_label or _("No"), no),
    ]])
