"""The repository's documentation stands on its own: the docs it names exist, nothing points outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_docs_named_in_the_readme_exist() -> None:
    named = set(re.findall(r"`(docs/[\w.-]+\.md)`", (ROOT / "README.md").read_text(encoding="utf-8")))
    assert "docs/operations.md" in named
    assert [doc for doc in sorted(named) if not (ROOT / doc).is_file()] == []


OUTSIDE = "/".join(("..", "shared"))  # the steering folder beside the repository, which users don't have


def test_nothing_refers_outside_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    outside = [path for path in tracked.split()
               if (ROOT / path).is_file() and OUTSIDE in (ROOT / path).read_text(encoding="utf-8", errors="ignore")]
    assert outside == []
