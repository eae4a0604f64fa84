"""Settings are read from the environment: a changed variable is seen by the next read."""

from __future__ import annotations

import pytest

from pubreview import settings


def test_a_changed_variable_is_seen_and_an_unchanged_one_is_not_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBREVIEW_TIMEZONE", "Asia/Urumqi")
    first = settings.load()
    assert first.timezone == "Asia/Urumqi"
    assert settings.load() is first
    monkeypatch.setenv("PUBREVIEW_TIMEZONE", "UTC")
    assert settings.load().timezone == "UTC"
    assert str(settings.office_timezone()) == "UTC"
    monkeypatch.delenv("PUBREVIEW_TIMEZONE")
    assert settings.load().timezone == settings.DEFAULT_TIMEZONE
    # Back to an environment read before: the same values.
    monkeypatch.setenv("PUBREVIEW_TIMEZONE", "Asia/Urumqi")
    assert settings.load() == first
