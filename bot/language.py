"""The language a post is written in: upstream values → BCP 47 tags, and their direction. Pure.

Every platform names a post's language its own way (FxTwitter and the X API `lang`, Mastodon
`language`, Bluesky the record's `langs` list) and any of them may send anything, so
`language_tag` accepts only a well-formed tag of the shape people use (language, optional
script, optional region), at most `MAX_TAG_CHARS` long, and writes it in the canonical case
("zh-Hant-TW"). Tags that name no language come back as None: `und` (undetermined), `zxx` (no
linguistic content), `mul` (several), and the private-use range `qaa`–`qtz`, where X puts its
own codes for posts of only mentions (`qam`), hashtags (`qht`), cashtags (`qct`), media links
(`qme`) or too little text (`qst`).

`is_rtl_tag` answers from the script subtag when there is one and from the language otherwise.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

MAX_TAG_CHARS = 35
"""Longer than any tag in use; an upstream value past it is not a tag."""

# language (2–3 letters), script (4 letters), region (2 letters or 3 digits), variants.
_TAG = re.compile(
    r"(?P<language>[a-z]{2,3})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)",
    re.ASCII,
)
_NO_LANGUAGE = frozenset({"und", "zxx", "mul", "mis"})
_PRIVATE_USE = re.compile(r"q[a-t][a-z]", re.ASCII)
# Codes ISO 639 withdrew that older clients (X among them) still send.
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv"}

RTL_LANGUAGES = frozenset(
    {
        "ar", "arc", "azb", "bal", "bqi", "ckb", "dv", "fa", "glk", "he", "ks", "lrc", "mzn",
        "nqo", "pnb", "prs", "ps", "sd", "skr", "syr", "ug", "ur", "yi",
    }
)  # fmt: skip
"""Languages written right to left by default (Arabic, Hebrew, Thaana, Syriac and NKo scripts);
a script subtag overrides it ("ku-Arab" is right to left, "sd-Deva" is not)."""

RTL_SCRIPTS = frozenset({"Adlm", "Arab", "Hebr", "Mand", "Nkoo", "Rohg", "Samr", "Syrc", "Thaa"})


def language_tag(value: object) -> str | None:
    """Return `value` as a canonical BCP 47 tag, or None when it names no single language.

    Anything but a string, an ill-formed tag (no trimming: "en\\n" is refused) and a tag that
    names no language ("und", "zxx", X's "qst"…) are None.
    """
    if not isinstance(value, str) or len(value) > MAX_TAG_CHARS:
        return None
    return _canonical(value)


@functools.lru_cache(maxsize=256)
def _canonical(value: str) -> str | None:
    # Every post carries a tag and a thread a handful of distinct ones: read each once.
    found = _TAG.fullmatch(value.replace("_", "-").lower())
    if found is None:
        return None
    language = _RENAMED.get(found["language"], found["language"])
    if language in _NO_LANGUAGE or _PRIVATE_USE.fullmatch(language):
        return None
    script, region = found["script"], found["region"]
    parts = [language, script.title() if script else "", region.upper() if region else ""]
    return "-".join(part for part in parts if part) + found["variants"]


def is_rtl_tag(tag: str) -> bool:
    """Tell whether text in the language `tag` (canonical, from `language_tag`) reads right to
    left."""
    subtags = tag.split("-")
    if len(subtags) > 1 and len(subtags[1]) == 4 and subtags[1].isalpha():
        return subtags[1] in RTL_SCRIPTS
    return subtags[0] in RTL_LANGUAGES


def most_common(tags: Iterable[str | None]) -> str | None:
    """Return the tag most posts carry, None when none carries one.

    A tie goes to the tag met first: the thread's opening post sets the tone.
    """
    counts = Counter(tag for tag in tags if tag)
    ranked = counts.most_common(1)
    return ranked[0][0] if ranked else None
