"""Event titles and descriptions from templates: placeholders, validation, empty lines, and the
template keys of the setup file."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from bot.business import BusinessSettings
from bot.domain.event_template import (
    DEFAULT_DESCRIPTION,
    DEFAULT_TITLE,
    PLACEHOLDERS,
    InvalidTemplate,
    render,
    validate,
)
from bot.setup_file import SetupFileError, load_setup_file, read_setup_file
from bot.sync.outbox_worker import backoff
from storage.db import Database
from storage.settings_store import SettingsRepository
from tests.conftest import SALON

VALUES = {
    "service": "Haircut",
    "customer_name": "Ann",
    "customer_phone": "+358401234567",
    "customer_email": "",
    "staff": "Anna",
    "booking_ref": "abc123",
    "price": "€45.00",
    "notes": "",
}


def test_every_placeholder_is_filled() -> None:
    template = " ".join("{" + name + "}" for name in PLACEHOLDERS)
    assert render(template, {**VALUES, "notes": "n", "customer_email": "e"}) == (
        "Haircut Ann +358401234567 e Anna abc123 €45.00 n"
    )


def test_lines_with_only_empty_values_are_dropped_and_braces_escape() -> None:
    template = "{{{service}}}\nMail: {customer_email}\nNotes: {notes}\nPlain line\n{staff}"
    assert render(template, VALUES) == "{Haircut}\nPlain line\nAnna"


def test_defaults_are_valid_and_render() -> None:
    assert render(validate(DEFAULT_TITLE), VALUES) == "Haircut: Ann"
    description = render(validate(DEFAULT_DESCRIPTION), VALUES)
    assert "Phone: +358401234567" in description and "E-mail" not in description


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{customer}", "unknown placeholder {customer}"),
        ("{service", "literal braces"),
        ("service}", "literal braces"),
        ("{service:>10}", "cannot have a format"),
        ("{service!r}", "cannot have a format"),
        ("x" * 2001, "at most 2000"),
    ],
)
def test_bad_templates_are_refused_with_a_reason(template: str, message: str) -> None:
    with pytest.raises(InvalidTemplate, match=message):
        validate(template)
    with pytest.raises(ValueError, match=message):
        BusinessSettings(event_title=template)


async def test_template_keys_come_from_the_setup_file(db: Database, tmp_path: Path) -> None:
    text = SALON.read_text("utf-8")
    custom = tmp_path / "custom.toml"
    custom.write_text(
        text.replace(
            "[business]\n",
            '[business]\nevent_title = "{service} / {customer_name}"\nevent_meet = true\n'
            'event_invite_customer = true\nevent_send_updates = "externalOnly"\n',
            1,
        )
    )
    await load_setup_file(custom, db, default_timezone="UTC")
    stored = BusinessSettings.from_store(await SettingsRepository(db).all(), default_timezone="UTC")
    assert stored.event_title == "{service} / {customer_name}"
    assert stored.event_description == DEFAULT_DESCRIPTION
    assert stored.event_meet and stored.event_invite_customer
    assert stored.event_send_updates == "externalOnly"
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace("[business]\n", '[business]\nevent_title = "{nme}"\n', 1))
    with pytest.raises(SetupFileError, match="unknown placeholder"):
        read_setup_file(wrong)
    wrong.write_text(text.replace("[business]\n", '[business]\nevent_send_updates = "x"\n', 1))
    with pytest.raises(SetupFileError, match="event_send_updates"):
        read_setup_file(wrong)


def test_backoff_grows_with_jitter_caps_and_honours_retry_after() -> None:
    rng = random.Random(1)  # noqa: S311 - jitter under test
    delays = [backoff(n, None, rng) for n in range(12)]
    assert timedelta(seconds=1) <= delays[0] <= timedelta(seconds=2)
    assert delays[5] > delays[0]
    assert all(d <= timedelta(minutes=15) for d in delays)
    assert backoff(0, 120.0, rng) == timedelta(seconds=120)
