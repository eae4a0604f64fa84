"""How commands print: human text by default, one JSON document with --json."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print `data` as JSON when --json was given, else the human-readable `text`."""
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(text)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """Every command takes --json for scripts."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")
