"""Words: the bot's sentences in one language, handed to whatever speaks. Pure: no I/O.

Renderers, the answer plan and the errors never look up a language: they receive a `Words`
and ask it for sentences (`gettext`, `ngettext`), numbers and dates. Which language a request
speaks is decided once, in the listener (`bot.listener.language`); the catalogs are read in
`bot.i18n.catalogs`. English is the source language: its words are the message ids themselves.

Texts are marked for `pybabel extract` (config: `babel.cfg`): `words.gettext("…")`,
`words.ngettext("…", "…", n)`, and `N_("…")` for sentences kept in a constant and translated
where they are said.
"""

from __future__ import annotations

import gettext as _gettext
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal

SOURCE_LANGUAGE = "en"
_DATE_PATTERNS = {SOURCE_LANGUAGE: "d MMM y"}
"""Dates in each language's own long form ("3 марта 2025 г.", "2025年3月3日"), except
English's "3 Mar 2025", which reads the same on both sides of the Atlantic."""
_DIRECTION_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c"))
"""Invisible direction marks some locales put in dates; no output carries them."""


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it (it is translated when said)."""
    return message


@dataclass(frozen=True, slots=True)
class Words:
    """One language's sentences (a gettext catalog) and its ways with numbers and dates.

    `language` is a catalog name (`pt_BR`), which is also a Babel locale.
    """

    language: str
    catalog: _gettext.NullTranslations = field(
        default_factory=_gettext.NullTranslations, compare=False, repr=False
    )

    def gettext(self, message: str, **values: object) -> str:
        """Return `message` in this language, its `{placeholders}` filled from `values`."""
        translated = self.catalog.gettext(message)
        return translated.format(**values) if values else translated

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        """Return the plural form for `count`, with `{count}` written as this language does."""
        translated = self.catalog.ngettext(singular, plural, count)
        return translated.format(count=self.number(count), **values)

    def number(self, value: float) -> str:
        """Return e.g. "1,234" (en) or "1 234" (ru)."""
        return _number(self.language, value)

    def date(self, moment: date | datetime) -> str:
        """Return a date, e.g. "3 Mar 2025" (en) or "3 марта 2025 г." (ru)."""
        # A time's date is what Babel would show of it; keyed by the day, one entry serves
        # every post and thread of that day.
        return _date(self.language, moment.date() if isinstance(moment, datetime) else moment)


@cache
def _locale(language: str) -> Locale:
    """Return Babel's locale for `language`, parsed once: parsing it again for every number
    and date cost more than the formatting. Languages are the catalogs' few names."""
    return Locale.parse(language)


# Babel takes some 10 µs for a number or a date, and a rendered answer asks for several (counts,
# poll shares, the thread's date), mostly the same few again and again: remembered per
# language. Bounded, since upstreams choose the numbers.
@lru_cache(maxsize=4096, typed=True)
def _number(language: str, value: float) -> str:
    return format_decimal(value, locale=_locale(language))


@lru_cache(maxsize=4096)
def _date(language: str, day: date) -> str:
    pattern = _DATE_PATTERNS.get(language, "long")
    return format_date(day, pattern, locale=_locale(language)).translate(_DIRECTION_MARKS)


ENGLISH = Words(SOURCE_LANGUAGE)
"""The source language: message ids are English sentences, so no catalog is needed."""
