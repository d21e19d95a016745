"""Service names and descriptions in other languages, as the setup file gives them.

The setup file may give a service `[services.translations.<language>]` with `name` and/or
`description`; they are stored under one settings key, by service id (slug) and language.
What is not translated stays as the setup file's main text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.db import Database
from storage.settings_store import SettingsRepository

TRANSLATIONS_KEY = "services.translations"
# slug -> language -> {"name": ..., "description": ...}
Translations = Mapping[str, Mapping[str, Mapping[str, str]]]


def to_store(translations: Translations) -> dict[str, Any]:
    """The settings entry that holds the translations."""
    return {
        TRANSLATIONS_KEY: {
            slug: {lang: dict(texts) for lang, texts in sorted(by_language.items())}
            for slug, by_language in sorted(translations.items())
        }
    }


async def load(db: Database) -> Translations:
    """The stored translations (none when the setup file gave none)."""
    stored = (await SettingsRepository(db).all()).get(TRANSLATIONS_KEY)
    return stored if isinstance(stored, dict) else {}


def pick(translations: Translations, slug: str, language: str, field: str) -> str | None:
    """A service's text in `language` (or its base language: 'pt' for 'pt_BR'), if given."""
    by_language = translations.get(slug) or {}
    for code in (language, language.split("_")[0]):
        text = (by_language.get(code) or {}).get(field)
        if isinstance(text, str) and text.strip():
            return text
    return None
