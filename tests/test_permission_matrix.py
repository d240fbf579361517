"""The permission matrix, generated from the declarations: every command and every button of every loaded cog,
used as every role (and as nobody in particular), through the console's real command path. Each refusal must
match the declared roles exactly; owner-only buttons must refuse anyone but the person the message was made
for. The matrix is printed at the end of the test run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.commands import ActionSpec, Button, Cog, CommandSpec, Reply
from bot.context import Context
from bot.core import Core
from tests.harness import ConsoleBot
from tests.harness import test_config as example_config
from tests.report import add_section

NOT_YOURS = "Tämä painike on sille, jolle viesti näytettiin."
DUMMY: dict[type, Any] = {int: 999999, str: "x"}  # arguments that name nothing, so handlers change nothing
# Every role the example config knows: student, the enabled cogs' declared ones, and those it defines.
ROLE_SETS = [("none", "")] + [(role, role) for role in example_config().roles]

# A test-only cog that shows one button of the loaded ones, signed by the core for whoever asks.
probe = Cog("matrixprobe", "Permission matrix probe")


@probe.command("Show one button", private=True)
async def button(ctx: Context) -> Reply:
    name = ctx.app.matrix_action  # type: ignore[attr-defined]
    action: ActionSpec = ctx.app.core.actions[tuple(name.split(":"))]
    return Reply(name, buttons=[Button(name, action.action_id(*(DUMMY.get(t, "x") for t in action.arg_types)))])


def _refused_command(spec: CommandSpec) -> Callable[[str], bool]:
    return lambda text: text.startswith(f"Komento /{spec.full_name} on vain näiden käytössä: ")


def _refused_button(text: str) -> bool:
    return text.startswith("Tämä painike on vain näiden käytössä: ")


def _mark(allowed: bool) -> str:
    return "✓" if allowed else "✗"


async def test_permission_matrix_matches_the_declarations(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    bot = await ConsoleBot.start(tmp_path, example_config(command_rate=1_000_000), extra_cogs=(probe,))
    try:
        core = bot.app.core
        commands = [s for s in core.commands.values() if s.cog is not probe]
        actions = list(core.actions.values())
        assert commands and actions
        header = f"{'':28}" + "".join(f"{name[:10]:>11}" for name, _ in ROLE_SETS) + "   declared"
        lines = [header]
        mismatches: list[str] = []

        for spec in commands:
            row: list[str] = []
            for name, roles in ROLE_SETS:
                printed = await bot.say(f"/{spec.full_name}", as_=f"P{name}", roles=roles, where="dm")
                refused = any(_refused_command(spec)(p.text) for p in printed)
                expected = Core.may_use(spec, frozenset(filter(None, [roles])))
                if refused == expected:
                    mismatches.append(f"/{spec.full_name} as {name}: refused={refused}")
                row.append(_mark(not refused))
            declared = ", ".join(sorted(spec.roles)) if spec.roles else "everyone"
            lines.append(f"{'/' + spec.full_name:28}" + "".join(f"{m:>11}" for m in row) + f"   {declared}")

        for action in actions:
            row = []
            others: list[bool] = []
            bot.app.matrix_action = action.full_name  # type: ignore[attr-defined]
            for name, roles in ROLE_SETS:
                shown = (await bot.say("/matrixprobe button", as_=f"P{name}", roles=roles, where="dm"))[-1]
                assert shown.buttons, shown
                pressed = [p.text for p in await bot.click(1, message=shown.number)]
                refused = any(_refused_button(t) for t in pressed)
                expected = Core.may_use(action, frozenset(filter(None, [roles])))
                if refused == expected or NOT_YOURS in pressed:
                    mismatches.append(f"{action.full_name} as {name}: {pressed}")
                # Someone else with the same roles pressing a button made for P<name>.
                shown = (await bot.say("/matrixprobe button", as_=f"P{name}"))[-1]
                other = [p.text for p in await bot.click(1, message=shown.number, as_=f"Q{name} {roles}".strip())]
                if action.owner_only and not refused:
                    others.append(other == [NOT_YOURS])
                    if other != [NOT_YOURS]:
                        mismatches.append(f"{action.full_name}: another person's press was not refused: {other}")
                elif NOT_YOURS in other:
                    mismatches.append(f"{action.full_name}: refused as not theirs without owner_only")
                row.append(_mark(not refused))
            declared = ", ".join(sorted(action.roles)) if action.roles else "everyone"
            if action.owner_only:
                declared += "; owner only (others: ✗)"
            lines.append(f"{'button ' + action.full_name:28}" + "".join(f"{m:>11}" for m in row) + f"   {declared}")

        add_section(request.config, "permission matrix (✓ allowed, ✗ refused; generated from the declarations)",
                    "\n".join(lines))
        assert mismatches == []
    finally:
        await bot.stop()
