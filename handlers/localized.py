"""Services and bookings as a reader sees them: service names and descriptions in their
language where the setup file translates them (`bot.service_texts`), else as written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot import service_texts
from bot.services import Services
from handlers.i18n import Texts
from storage.records import BookingRecord, ServiceRecord


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


async def bookings_for(
    services: Services, t: Texts, records: Sequence[BookingRecord]
) -> list[BookingRecord]:
    """Bookings with their service named in the reader's language, where the setup file
    translates it (the booking keeps the name it was made under otherwise)."""
    if not records:
        return list(records)
    translations = await service_texts.load(services.db)
    if not translations:
        return list(records)
    named = []
    for record in records:
        service = await services.booking.service(record.service_id)
        name = (
            service_texts.pick(translations, service.slug, t.language, "name")
            if service is not None
            else None
        )
        named.append(replace(record, service_name=name) if name else record)
    return named


async def booking_for(services: Services, t: Texts, record: BookingRecord) -> BookingRecord:
    """One booking with its service named in the reader's language."""
    return (await bookings_for(services, t, [record]))[0]
