"""Services as a reader sees them: name and description in their language where the setup
file translates them (`bot.service_texts`), else as written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot import service_texts
from bot.services import Services
from handlers.i18n import Texts
from storage.records import ServiceRecord


async def services_for(
    services: Services, t: Texts, records: Sequence[ServiceRecord]
) -> list[ServiceRecord]:
    """The records with the texts given for the reader's language (as written otherwise)."""
    if not records:
        return list(records)
    translations = await service_texts.load(services.db)
    if not translations:
        return list(records)
    return [
        replace(
            r,
            name=service_texts.pick(translations, r.slug, t.language, "name") or r.name,
            description=service_texts.pick(translations, r.slug, t.language, "description")
            or r.description,
        )
        for r in records
    ]


async def service_for(
    services: Services, t: Texts, record: ServiceRecord | None
) -> ServiceRecord | None:
    """One record with translated texts."""
    if record is None:
        return None
    return (await services_for(services, t, [record]))[0]
