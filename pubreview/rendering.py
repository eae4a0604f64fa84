"""The one Jinja2 environment: HTML escaped by default, a missing variable fails loudly."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pubreview.settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"


@cache
def environment() -> Environment:
    """The shared environment over templates/ (.html and .xml autoescape, .txt/.md do not)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: object) -> str:
    """Render one template by its path under templates/."""
    return environment().get_template(name).render(**context)
