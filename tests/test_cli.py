"""The `humako-bot` command line as a newcomer uses it: console scripts and check-config."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "TELEGRAM_TOKEN")}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_console_script_runs_the_demo(tmp_path: Path) -> None:
    result = run("console", "--script", str(ROOT / "examples" / "demo.txt"), "--data", str(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Pong: hello" in out and "Pong ×2" in out
    assert "→ #announcements" in out and "The board meets on Friday" in out
    assert "already passed" in out  # the English reply after /language en
    assert (tmp_path / "humako.sqlite3").exists()


def test_console_reads_standard_input(tmp_path: Path) -> None:
    result = run("console", "--script", "-", "--data", str(tmp_path), stdin="/ping moi\n")
    assert result.returncode == 0, result.stderr
    assert "Pong: moi" in result.stdout


def test_check_config_accepts_the_example() -> None:
    result = run("check-config", "--config", str(ROOT / "config.example.toml"))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_check_config_names_the_bad_key(tmp_path: Path) -> None:
    bad = (ROOT / "config.example.toml").read_text(encoding="utf-8").replace(
        'timezone = "Europe/Helsinki"', 'timezone = "Europe/Helsingfors"')
    path = tmp_path / "config.toml"
    path.write_text(bad, encoding="utf-8")
    result = run("check-config", "--config", str(path))
    assert result.returncode == 2
    assert "community.timezone" in result.stderr and "Helsingfors" in result.stderr


def test_default_config_is_the_example_when_no_config_toml(tmp_path: Path) -> None:
    result = run("console", "--script", "-", "--data", str(tmp_path / "d"), stdin="/ping\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Pong" in result.stdout


def test_the_console_goes_on_when_the_web_servers_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
        assert "\nport = 8080\n" in text
        config = tmp_path / "config.toml"
        config.write_text(text.replace("\nport = 8080\n", f"\nport = {port}\n", 1), encoding="utf-8")
        result = run("console", "--script", "-", "--config", str(config), "--data", str(tmp_path / "d"),
                     stdin="/ping moi\n")
    assert result.returncode == 0, result.stderr
    assert "Pong: moi" in result.stdout
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "off in this run" in result.stderr
