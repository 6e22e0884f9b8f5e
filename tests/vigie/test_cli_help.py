"""The CLI lists every command with a one-line description, and the README documents every
command and every setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer.main

from vigie.cli import app
from vigie.settings import Settings

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _commands(group: typer.Typer, prefix: str = "") -> list[tuple[str, str | None]]:
    click_group = typer.main.get_command(group)
    out: list[tuple[str, str | None]] = []

    def walk(cmd, path):  # type: ignore[no-untyped-def]
        for name, sub in getattr(cmd, "commands", {}).items():
            full = f"{path} {name}".strip()
            if getattr(sub, "commands", None):
                walk(sub, full)
            else:
                out.append((full, sub.get_short_help_str(limit=200)))

    walk(click_group, prefix)
    return out


def test_every_command_has_a_description_and_is_documented():
    commands = _commands(app)
    names = {name for name, _ in commands}
    expected = {
        "demo",
        "crawl",
        "extract",
        "serve",
        "users add",
        "register import",
        "signals list",
        "evidence verify",
        "schedule add",
        "scheduler",
    }
    assert expected <= names
    for name, help_text in commands:
        assert help_text, f"vigie {name} has no description"
        assert f"vigie {name}" in README, f"README does not document `vigie {name}`"


def test_help_lists_commands():
    out = subprocess.run(
        [sys.executable, "-m", "vigie", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in (
        "demo",
        "crawl",
        "extract",
        "serve",
        "users",
        "register",
        "signals",
        "evidence",
        "schedule",
        "scheduler",
    ):
        assert name in out


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"VIGIE_{name.upper()}" in README, f"README does not document VIGIE_{name.upper()}"


def test_error_exit_code_and_message(tmp_path):
    env = {"VIGIE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "vigie", "crawl", "jobs", "--purpose", "  "],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 1
    assert "purpose" in done.stderr
    assert "Traceback" not in done.stderr
