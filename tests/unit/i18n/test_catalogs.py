"""Every catalog says every message of the code, and nothing else, without breaking it.

The template is extracted again from `bot/` with Babel's own extractor (the same markers and
mapping `pybabel extract` uses, `babel.cfg`), so a message added, changed or removed in the
code fails here until `bot/locales/messages.pot` and every `.po` are brought up to date.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.i18n import SOURCE_LANGUAGE
from bot.i18n.catalogs import LOCALES, languages, read_catalog

ROOT = Path(__file__).resolve().parents[3]
TELEGRAM_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a",
     "tg-spoiler", "tg-emoji", "blockquote", "span"}
)  # fmt: skip
"""The tags Telegram's HTML parse mode accepts (core.telegram.org/bots/api#html-style)."""
PLACEHOLDER = re.compile(r"\{(\w*)\}")
MessageId = str | tuple[str, ...]


def extracted_ids() -> set[MessageId]:
    """Return the message ids Babel extracts from `bot/` today, as `pybabel extract` would."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[MessageId] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "bot", method_map, options_map
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def ids_of(catalog: Catalog) -> set[MessageId]:
    return {message.id for message in catalog if message.id}


def template() -> Catalog:
    with (LOCALES / "messages.pot").open("rb") as source:
        return read_po(source)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


class _Tags(HTMLParser):
    """Collects the tag tree of a text: (tag, children) tuples, text left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[list[object]] = [[]]
        self.names: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.append(tag)
        self.stack.append([])

    def handle_endtag(self, tag: str) -> None:
        children = self.stack.pop()
        self.stack[-1].append((tag, tuple(children)))


def tag_tree(text: str) -> tuple[object, ...]:
    """Return the nesting of tags in `text`, e.g. (("b", ()), ("code", ())).

    A tag left open shows as an unbalanced parse: the stack is not back to its root.
    """
    parser = _Tags()
    parser.feed(text)
    parser.close()
    if len(parser.stack) != 1:
        return ("unclosed", *parser.names)
    return tuple(parser.stack[0])


def tag_names(text: str) -> set[str]:
    parser = _Tags()
    parser.feed(text)
    return set(parser.names)


def single_number_forms(language: str) -> set[int]:
    """Return the plural forms that only one number takes (Arabic's "one", "two", "zero").

    Such a form may leave out `{count}` ("منشور واحد"); any other must name the number.
    """
    # gettext's own reading of the Plural-Forms expression, as the catalogs use it at run time.
    plural = gettext.c2py(get_plural(language).plural_expr)
    taken: dict[int, int] = {}
    for n in range(2000):
        taken[plural(n)] = taken.get(plural(n), 0) + 1
    return {form for form, count in taken.items() if count == 1}


# Checks, each returning what is wrong with one message (empty when nothing is).


def problems(message: Message, language: str, num_plurals: int) -> Iterator[str]:
    """Yield what is wrong with the translation of `message` into `language`."""
    if isinstance(message.id, str):
        yield from _problems_of(message.id, str(message.string or ""), language)
        return
    forms = tuple(message.string or ())
    if len(forms) != num_plurals:
        yield f"{len(forms)} plural forms instead of {num_plurals}"
    loose = single_number_forms(language)
    for index, form in enumerate(forms):
        source = message.id[0] if index == 0 and num_plurals > 1 else message.id[1]
        yield from _problems_of(source, form, language, may_drop=("count",) * (index in loose))


def _problems_of(
    source: str, translation: str, language: str, *, may_drop: tuple[str, ...] = ()
) -> Iterator[str]:
    if not translation:
        if language != SOURCE_LANGUAGE:
            yield "not translated"
        return
    wanted, got = placeholders(source), placeholders(translation)
    if not (wanted - set(may_drop) <= got <= wanted):
        yield f"placeholders {sorted(got)} instead of {sorted(wanted)}"
    if tag_tree(translation) != tag_tree(source):
        yield f"tags {tag_tree(translation)} instead of {tag_tree(source)}"
    if not tag_names(translation) <= TELEGRAM_TAGS:
        yield f"tags Telegram refuses: {sorted(tag_names(translation) - TELEGRAM_TAGS)}"
    try:
        translation.format(**dict.fromkeys(got, "x"))
    except (ValueError, IndexError, KeyError) as exc:
        yield f"cannot be filled in: {exc}"


LANGUAGES = languages()


def test_template_holds_what_the_code_says() -> None:
    """Regenerate with `pybabel extract` (README, "Languages") when this fails."""
    assert ids_of(template()) == extracted_ids()


def test_the_eight_languages_have_catalogs() -> None:
    assert set(LANGUAGES) >= {"en", "ru", "uk", "es", "pt_BR", "de", "ar", "ja"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_lacks_no_message(language: str) -> None:
    assert ids_of(template()) - ids_of(read_catalog(language)) == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_has_no_stale_message(language: str) -> None:
    assert ids_of(read_catalog(language)) - ids_of(template()) == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_plural_rule_is_the_languages(language: str) -> None:
    catalog = read_catalog(language)
    assert (catalog.num_plurals, catalog.plural_expr) == (
        get_plural(language).num_plurals,
        get_plural(language).plural_expr,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_placeholders_tags_and_plural_forms(language: str) -> None:
    catalog = read_catalog(language)
    found = {
        str(message.id): wrong
        for message in catalog
        if message.id and (wrong := list(problems(message, language, catalog.num_plurals)))
    }
    assert found == {}


@pytest.mark.parametrize(
    ("source", "translation", "wrong"),
    [
        ("Answer: {output}", "Ответ: {вывод}", "placeholders"),
        ("Answer: {output}", "Ответ", "placeholders"),
        ("<b>Settings</b>", "<b>Настройки", "tags"),
        ("<b>Settings</b>", "<i>Настройки</i>", "tags"),
        ("<code>/unroll</code> now", "<code>/unroll <b>now</b></code>", "tags"),
        ("<b>Settings</b>", "<h1>Настройки</h1>", "tags"),
        ("Saved.", "", "not translated"),
        ("Wait {count}s", "Wait {count", "placeholders"),
    ],
)
def test_a_broken_translation_is_found(source: str, translation: str, wrong: str) -> None:
    message = Message(source, translation)
    assert any(p.startswith(wrong) for p in problems(message, "ru", 3))


def test_a_missing_plural_form_is_found() -> None:
    message = Message(("{count} post", "{count} posts"), ("{count} пост", "{count} поста"))
    assert list(problems(message, "ru", 3)) == ["2 plural forms instead of 3"]


@pytest.mark.parametrize(
    ("language", "forms"), [("ar", {0, 1, 2}), ("ru", set()), ("ja", set()), ("de", {0})]
)
def test_only_single_number_forms_may_leave_out_the_count(language: str, forms: set[int]) -> None:
    assert single_number_forms(language) == forms
