"""How commands print: human text by default, one JSON document with --json."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from pubreview import inputs


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print `data` as JSON when --json was given, else the human-readable `text`."""
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(inputs.terminal_safe(text))


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Every command takes --json for scripts."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def os_user() -> str:
    """The operating-system account running the command: `--as` names anyone, this does not."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
