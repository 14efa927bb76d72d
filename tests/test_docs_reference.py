"""The reference pages of the docs stay complete: every settings key, error reason, check
id, signal and management command the code has must be documented there (and the README
keeps its settings and reasons tables). A new one fails here until it is written up."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from django.dispatch import Signal

from rtcpool_django import checks, conf, protocol, signals

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
COMMANDS = ROOT / "rtcpool_django" / "management" / "commands"


def section_titles(page: str) -> set[str]:
    """The section titles of an reStructuredText page (a line over an underline)."""
    lines = (REFERENCE / page).read_text().splitlines()
    return {
        title.strip()
        for title, underline in itertools.pairwise(lines)
        if title.strip()
        and re.fullmatch(r"([=\-^~\"'`#*+])\1+", underline.strip())
        and len(underline.strip()) >= len(title.strip())
    }


def literals(page: str) -> set[str]:
    return set(re.findall(r"``([^`]+)``", (REFERENCE / page).read_text()))


def signal_names() -> list[str]:
    return [name for name, value in vars(signals).items() if isinstance(value, Signal)]


def check_ids() -> list[str]:
    return sorted(set(re.findall(r"rtcpool\.[CEWI]\d{3}", Path(checks.__file__).read_text())))


def command_names() -> list[str]:
    return sorted(p.stem for p in COMMANDS.glob("*.py") if not p.stem.startswith("_"))


@pytest.mark.parametrize("key", list(conf.DEFAULTS))
def test_every_setting_has_a_section(key):
    assert key in section_titles("settings.rst"), f"docs/reference/settings.rst lacks {key}"
    assert key in literals("settings.rst"), f"the summary table lacks ``{key}``"


@pytest.mark.parametrize("key", list(conf.DEFAULTS))
def test_every_setting_is_in_the_readme_summary(key):
    assert f"`{key}`" in (ROOT / "README.md").read_text(), f"README lacks the setting {key}"


@pytest.mark.parametrize("reason", list(protocol.REASONS))
def test_every_error_reason_is_documented(reason):
    assert reason in literals("errors.rst"), f"docs/reference/errors.rst lacks {reason}"


@pytest.mark.parametrize("check_id", check_ids())
def test_every_check_id_is_documented(check_id):
    assert check_id in literals("checks.rst"), f"docs/reference/checks.rst lacks {check_id}"


@pytest.mark.parametrize("name", signal_names())
def test_every_signal_has_a_section(name):
    assert name in section_titles("signals.rst"), f"docs/reference/signals.rst lacks {name}"


@pytest.mark.parametrize("name", command_names())
def test_every_management_command_has_a_section(name):
    assert name in section_titles("commands.rst"), f"docs/reference/commands.rst lacks {name}"


def test_the_lists_are_read_from_the_code():
    # Guard against a scan that finds nothing and so checks nothing.
    assert len(conf.DEFAULTS) >= 11
    assert {"rtcpool.E001", "rtcpool.W003"} <= set(check_ids())
    assert {"peer_joined", "peer_left", "pool_closed", "description_changed"} <= set(signal_names())
    assert {"rtcpool_prune", "rtcpool_pools"} <= set(command_names())
