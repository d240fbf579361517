"""A yes/no question with its consequence, answered only by the person it was asked of; and a preview of a post
with actions (Publish / Edit / Discard) before anything is posted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.commands import Button, DeclarationError, Reply
from bot.i18n import LANGUAGE_NAMES, Lines, Text, _, render

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


@dataclass(frozen=True)
class InLanguage:
    """A text shown in one language whoever reads it: a post previewed in its destination's language."""

    text: Text
    language: str

    def render(self, language: str) -> str:
        return render(self.text, self.language)


def preview(shown: Reply, heading: Text, actions: Sequence[Button], languages: Sequence[str] = ()) -> Reply:
    """`shown` as it will be posted, under `heading`, with `actions` (Publish / Edit / Discard) instead of its own
    buttons, to the person alone. `languages`: those of the destinations (the first as the message itself, the
    others below it); none: the reader's own. The actions' owner-only check is the core's (Core.preview)."""
    if not languages:
        return Reply(Lines(heading, shown.text), title=shown.title, fields=shown.fields, private=True,
                     buttons=[list(actions)])
    first, *others = languages

    def fixed(text: Text | None, language: str) -> Text | None:
        return None if text is None else InLanguage(text, language)

    def flat(fields: Sequence[tuple[Text, Text]], language: str) -> list[Text]:
        return [InLanguage(Lines(name, value, sep=": "), language) for name, value in fields]

    if not others:
        return Reply(Lines(heading, fixed(shown.text, first)), title=fixed(shown.title, first), private=True,
                     fields=[(InLanguage(name, first), InLanguage(value, first)) for name, value in shown.fields],
                     buttons=[list(actions)])
    # Several versions in one message: each in reading order (its fields as lines), one after the other.
    below = [Lines(f"— {LANGUAGE_NAMES.get(other, other)} —", fixed(shown.title, other), fixed(shown.text, other),
                   *flat(shown.fields, other)) for other in others]
    return Reply(Lines(heading, f"— {LANGUAGE_NAMES.get(first, first)} —", fixed(shown.text, first),
                       *flat(shown.fields, first), *below),
                 title=fixed(shown.title, first), private=True, buttons=[list(actions)])
