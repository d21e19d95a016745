"""Titles and descriptions of the Google events the bot writes, from templates.

A template is plain text with placeholders in braces: ``{service}``, ``{customer_name}``,
``{customer_phone}``, ``{customer_email}``, ``{staff}``, ``{booking_ref}``, ``{price}`` and
``{notes}``; ``{{`` and ``}}`` are literal braces. `validate` names what is wrong with a
template (an unknown placeholder, a stray brace, a format spec) so the setup file can refuse
it; `render` fills one in, a value it does not know becoming empty text, never an error.
Lines left empty by a missing value (no phone, no e-mail) are dropped.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

PLACEHOLDERS = (
    "service",
    "customer_name",
    "customer_phone",
    "customer_email",
    "staff",
    "booking_ref",
    "price",
    "notes",
)
DEFAULT_TITLE = "{service}: {customer_name}"
DEFAULT_DESCRIPTION = (
    "Booked with bookbot ({booking_ref})\n"
    "Service: {service} with {staff}\n"
    "Customer: {customer_name}\n"
    "Phone: {customer_phone}\n"
    "E-mail: {customer_email}\n"
    "Price: {price}\n"
    "Notes: {notes}"
)
MAX_TEMPLATE_CHARS = 2000
_FORMATTER = string.Formatter()


class InvalidTemplate(ValueError):
    """A template that cannot be rendered as written; the message says why."""


def placeholders(template: str) -> list[str]:
    """The placeholder names a template uses, in order (InvalidTemplate if it cannot parse)."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError as err:
        raise InvalidTemplate(f"{err} (write {{{{ and }}}} for literal braces)") from err
    names = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion:
            raise InvalidTemplate(f"{{{name}}} cannot have a format or conversion")
        names.append(name)
    return names


def validate(template: str) -> str:
    """The template itself if every placeholder is known, else InvalidTemplate naming it."""
    if len(template) > MAX_TEMPLATE_CHARS:
        raise InvalidTemplate(f"a template can be at most {MAX_TEMPLATE_CHARS} characters")
    for name in placeholders(template):
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise InvalidTemplate(f"unknown placeholder {{{name}}}; known: {known}")
    return template


def render(template: str, values: Mapping[str, str]) -> str:
    """The template filled in; lines whose placeholders were all empty are dropped."""
    lines = []
    for line in template.split("\n"):
        names = placeholders(line)
        filled = [values.get(n, "") for n in names]
        if names and not any(v.strip() for v in filled):
            continue
        lines.append(
            "".join(
                literal + (values.get(name, "") if name is not None else "")
                for literal, name, _, _ in _FORMATTER.parse(line)
            )
        )
    return "\n".join(lines).strip()
