"""The `pubreview` command line: `parser` builds it, one module per group of subcommands."""

from pubreview.cli.parser import COMMAND_MODULES, build_parser, main

__all__ = ["COMMAND_MODULES", "build_parser", "main"]
