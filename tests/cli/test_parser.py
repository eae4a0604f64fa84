"""A command imports only the module that registers it; the map of which module that is holds."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from pubreview.cli.parser import COMMAND_MODULES, COMMAND_OWNER, build_parser


def test_every_command_is_mapped_to_the_module_that_registers_it() -> None:
    registered = {}
    for name in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"pubreview.cli.{name}").register(sub)
        registered.update(dict.fromkeys(sub.choices, name))
    assert registered == COMMAND_OWNER


def test_one_command_parses_without_the_others_and_help_lists_all() -> None:
    args = build_parser(["decide", "7", "approve", "--as", "li.na"]).parse_args(
        ["decide", "7", "approve", "--as", "li.na"]
    )
    assert args.command == "decide" and args.publication == 7
    choices = build_parser([])._subparsers._group_actions[0].choices  # noqa: SLF001
    assert set(choices) == set(COMMAND_OWNER)


def test_decide_does_not_import_screening_reports_or_prefect() -> None:
    probe = (
        "import sys\n"
        "from pubreview.cli.parser import build_parser\n"
        "build_parser(['decide', '1', 'approve', '--as', 'x'])\n"
        "heavy = ('prefect', 'pubreview.report.build', 'pypinyin')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
