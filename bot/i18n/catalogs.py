"""The catalogs under `bot/locales/`: which languages exist, and each one's `Words`.

Reads only the package's own `.po` files, once per language per process: each is parsed and
compiled in memory when first asked for (`read_po` → `write_mo` → `Translations`), so the
repository holds only the `.po` sources and nothing is built at install. A language is a folder
`bot/locales/<lang>/LC_MESSAGES/messages.po`; adding one needs no code.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.i18n import ENGLISH, SOURCE_LANGUAGE, Words

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


def catalog_path(language: str) -> Path:
    """Return where the `.po` source of `language` lives."""
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def languages() -> tuple[str, ...]:
    """Return every language with a catalog, English first, the rest by name."""
    found = {path.parent.parent.name for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return (SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE}))


def read_catalog(language: str) -> Catalog:
    """Parse the `.po` source of `language`."""
    with catalog_path(language).open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


@cache
def words_for(language: str) -> Words:
    """Return the `Words` of `language` (a name from `languages()`); English when unknown."""
    if language not in languages() or not catalog_path(language).exists():
        return ENGLISH
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(language))
    compiled.seek(0)
    return Words(language, Translations(compiled, domain=DOMAIN))


def best_match(code: str | None) -> str:
    """Return the catalog that best serves a Telegram `language_code` (an IETF tag).

    The whole tag first (`pt-BR` → `pt_BR`), then its language alone (`en-GB` → `en`), then
    any catalog of that language (`pt` → `pt_BR`); unknown or missing → English.
    """
    if not code:
        return SOURCE_LANGUAGE
    try:
        locale = Locale.parse(code.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return SOURCE_LANGUAGE
    available = languages()
    full = str(locale)
    if full in available:
        return full
    if locale.language in available:
        return locale.language
    regional = [name for name in available if name.split("_")[0] == locale.language]
    return regional[0] if regional else SOURCE_LANGUAGE


def language_name(language: str) -> str:
    """Return the language's own name, e.g. "Русский", for the /settings row."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]
