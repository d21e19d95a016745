"""The message catalogs' tooling: extract the texts from the code, update the catalogs, and
check that every catalog translates every text with the same {placeholders}.

    python -m handlers.catalogs extract   # handlers/locales/messages.pot + update every .po
    python -m handlers.catalogs check     # what a catalog misses or gets wrong (exit 1)

Extraction is Babel's (`pybabel extract` with the same keywords would give the same
template): `_` and `N_` mark a text, `n_:1,2` a singular/plural pair; the error messages of
`bot/domain/contact.py` (`InvalidName(...)`, `InvalidPhone(...)`, `InvalidEmail(...)`) are
shown to customers too, so they are extracted as well.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po, write_po

from handlers.i18n import LOCALES_DIR, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "N_": None,
    "n_": (1, 2),
    "InvalidName": None,
    "InvalidPhone": None,
    "InvalidEmail": None,
}
SOURCES = (ROOT / "handlers", ROOT / "bot" / "domain" / "contact.py")
TEMPLATE = LOCALES_DIR / "messages.pot"


def extract() -> Catalog:
    """Every translatable text in the code, with where it is used."""
    template = Catalog(project="bookbot", locale=None, fuzzy=False)
    found: list[tuple[str, int, str | tuple[str, ...], list[str], str | None]] = []
    for source in SOURCES:
        if source.is_dir():
            for name, line, message, comments, context in extract_from_dir(
                source, [("**.py", "python")], keywords=KEYWORDS
            ):
                found.append(
                    (str(source.relative_to(ROOT) / name), line, message, comments, context)
                )
        else:
            for line, message, comments, context in extract_from_file(
                "python", source, keywords=KEYWORDS
            ):
                found.append((str(source.relative_to(ROOT)), line, message, comments, context))
    for path, line, message, comments, context in found:
        template.add(message, None, [(path, line)], auto_comments=comments, context=context)
    return template


def catalog_paths() -> list[Path]:
    """The .po file of every shipped language."""
    return sorted(LOCALES_DIR.glob("*.po"))


def read_catalog(path: Path) -> Catalog:
    """One .po file."""
    with path.open("rb") as po:
        return read_po(po, locale=path.stem)


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a catalog as .po (sorted by message, no line numbers, wide lines)."""
    with path.open("wb") as po:
        write_po(po, catalog, width=100, sort_output=True, include_lineno=False)


def update_all() -> Catalog:
    """Write the template and bring every catalog up to date with it (new texts untranslated,
    texts no longer used kept as obsolete, obsolete texts used again translated again)."""
    template = extract()
    write_catalog(template, TEMPLATE)
    for path in catalog_paths():
        catalog = read_catalog(path)
        merge(catalog, template)
        write_catalog(catalog, path)
    return template


def merge(catalog: Catalog, template: Catalog) -> None:
    """Bring `catalog` up to date with `template`: texts no longer used become obsolete (kept
    at the end of the file), and an obsolete text used again gets its translation back."""
    for key, message in list(catalog.obsolete.items()):
        if catalog.get(message.id) is None:
            catalog[message.id] = message
        del catalog.obsolete[key]
    catalog.update(template, update_header_comment=False)


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders of a text ('{{' is a literal brace)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def problems(catalog: Catalog, template: Catalog) -> list[str]:
    """What `catalog` misses or gets wrong against the texts used in the code."""
    found = []
    for wanted in template:
        if not wanted.id:
            continue
        key = wanted.id[0] if isinstance(wanted.id, tuple) else wanted.id
        message = catalog.get(wanted.id)
        if message is None:
            message = catalog.get(key)
        name = repr(key)[:80]
        if message is None or message.fuzzy:
            found.append(f"{catalog.locale}: no translation for {name}")
            continue
        found += [f"{catalog.locale}: {p} in {name}" for p in _message_problems(message, catalog)]
    return found


def _message_problems(message: Message, catalog: Catalog) -> Iterable[str]:
    ids = [str(i) for i in message.id] if isinstance(message.id, tuple) else [str(message.id)]
    string = message.string
    forms = [str(f) for f in string] if isinstance(string, tuple | list) else [str(string or "")]
    if isinstance(message.id, tuple) and len(forms) != catalog.num_plurals:
        yield f"{len(forms)} plural forms instead of {catalog.num_plurals}"
    expected = placeholders(ids[-1]) | placeholders(ids[0])
    for form in forms:
        if not form:
            yield "an empty translation"
            continue
        try:
            got = placeholders(form)
        except ValueError:
            yield f"a broken placeholder in {form!r}"
            continue
        if got != expected:
            missing, extra = sorted(expected - got), sorted(got - expected)
            yield f"placeholders differ (missing {missing}, unknown {extra})"


def check() -> list[str]:
    """The problems of every shipped catalog."""
    template = extract()
    return [p for path in catalog_paths() for p in problems(read_catalog(path), template)]


def main(argv: list[str]) -> int:
    """`extract` or `check`."""
    if argv == ["extract"]:
        template = update_all()
        languages = ", ".join(p.stem for p in catalog_paths()) or "none"
        print(f"{len(template)} texts ({SOURCE_LANGUAGE}); catalogs updated: {languages}")
        return 0
    if argv == ["check"]:
        found = check()
        for problem in found:
            print(problem)
        print("catalogs complete" if not found else f"{len(found)} problems")
        return 1 if found else 0
    print("usage: python -m handlers.catalogs extract|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
