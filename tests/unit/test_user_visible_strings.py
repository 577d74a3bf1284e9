"""No sentence reaches a user without passing through the catalog: an AST check over `bot/`.

Reach. It parses every module of `bot/` (except `bot/i18n/`, which defines the markers) and
reports:

- a string literal or f-string with letters in it passed as the text of a call that speaks to
  Telegram or builds what Telegram shows: the sender's `send`/`edit`/`draft`/…, `reply`/`say`,
  `acknowledge` (toasts), PTB's `edit_message_text`/`reply_text`, `InlineKeyboardButton`,
  `BotCommand`, inline results (`title=`, `description=`, `text=`), and the plan's steps
  (`Edit`, `SendPart`, `Notify`), by position or by keyword;
- a `user_message` method that returns such a literal instead of a `words.gettext` sentence;
- a module-level constant in a texts module (`listener/texts.py`, `answering/texts.py`) that
  is a bare literal, or a dict of them, not wrapped in `N_` (it would never be extracted);
- `gettext`/`ngettext` called on an f-string, a `+` or a `.format(...)`: the extractor cannot
  see such a message, so it would never be translated;
- `user_message()` called without the requester's `Words` anywhere but the CLI (`cli.py`), whose
  one-shot `unroll` speaks English by design.

Limits. It reads syntax, not data flow: a literal first stored in a local variable and then
sent, a sentence built by a helper elsewhere, or words placed inside a renderer's markup (the
renderers get theirs from `summary` and `Words`, which the catalog tests cover) pass unseen.
Strings without letters (separators, emoji, markup such as "\\n\\n" or " · ") are allowed,
as are platform and format names that read the same in every language. What it finds is
therefore certain; what it does not find is covered only by review and the catalog tests.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"

SPEAKING_CALLS: dict[str, tuple[int, ...]] = {
    # Sender (bot/delivery.py): (target, text, ...)
    "send": (1,), "send_placeholder": (1,), "draft": (1,), "edit": (1,), "try_edit": (1,),
    # The listener's replies: (services, message, text) and toasts: (query, text)
    "reply": (2,), "say": (2,), "acknowledge": (1,),
    # PTB
    "edit_message_text": (0,), "reply_text": (0,), "send_message": (1,),
    "InlineKeyboardButton": (0,), "BotCommand": (1,), "InlineQueryResultsButton": (),
    "InlineQueryResultArticle": (), "InputTextMessageContent": (0,),
    # The answer plan's steps
    "Edit": (0,), "SendPart": (0,), "Notify": (0,),
}  # fmt: skip
"""Calls that show their text to a user, and the positions of that text."""
TEXT_KEYWORDS = frozenset({"text", "title", "description", "caption", "html", "text_html"})
TEXTS_MODULES = ("listener/texts.py", "answering/texts.py")
ENGLISH_ONLY = "cli.py"
"""The one-shot CLI (`unroll-bot unroll`) speaks English: its errors go to stderr as they are."""
MARKERS = frozenset({"N_", "gettext", "ngettext"})


def has_words(node: ast.expr) -> bool:
    """Tell whether `node` is a literal (or f-string) holding letters a person would read."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(has_words(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return has_words(node.left) or has_words(node.right)
    return False


def callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _spoken_arguments(call: ast.Call) -> Iterator[ast.expr]:
    positions = SPEAKING_CALLS.get(callee(call))
    if positions is None:
        return
    yield from (call.args[i] for i in positions if i < len(call.args))
    yield from (kw.value for kw in call.keywords if kw.arg in TEXT_KEYWORDS)


def _is_marked(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and callee(node) in MARKERS


def bypasses(source: str, path: str) -> list[str]:
    """Return "line: why" for every user-visible literal in `source` that bypasses the catalog."""
    tree = ast.parse(source)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found.extend(
                f"{arg.lineno}: literal text given to {callee(node)}"
                for arg in _spoken_arguments(node)
                if has_words(arg)
            )
            if callee(node) in {"gettext", "ngettext"} and node.args:
                first = node.args[0]
                if isinstance(first, ast.JoinedStr | ast.BinOp) or (
                    isinstance(first, ast.Call) and callee(first) == "format"
                ):
                    found.append(f"{node.lineno}: {callee(node)} of a message built at run time")
            if callee(node) == "user_message" and not node.args and path != ENGLISH_ONLY:
                found.append(f"{node.lineno}: user_message() without the requester's words")
        if isinstance(node, ast.FunctionDef) and node.name == "user_message":
            found.extend(
                f"{ret.lineno}: user_message returns a literal"
                for ret in ast.walk(node)
                if isinstance(ret, ast.Return) and ret.value is not None and has_words(ret.value)
            )
    if path in TEXTS_MODULES:
        found.extend(_unmarked_constants(tree))
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def _unmarked_constants(tree: ast.Module) -> Iterator[str]:
    for statement in tree.body:
        if not isinstance(statement, ast.Assign | ast.AnnAssign) or statement.value is None:
            continue
        value = statement.value
        values = value.values if isinstance(value, ast.Dict) else [value]
        for item in values:
            if has_words(item) and not _is_marked(item):
                yield f"{item.lineno}: texts constant not marked with N_"


MODULES = sorted(p for p in BOT.rglob("*.py") if "i18n" not in p.relative_to(BOT).parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT)))
def test_no_user_visible_literal_bypasses_the_catalog(path: Path) -> None:
    relative = str(path.relative_to(BOT))
    assert bypasses(path.read_text(), relative) == []


@pytest.mark.parametrize(
    ("source", "path"),
    [
        ("await sender.send(target, 'Hello there')", "worker.py"),
        ("await sender.send(target, f'{n} posts')", "worker.py"),
        ("await reply(services, message, 'Use /unroll')", "listener/commands.py"),
        ("await context.acknowledge(query, 'Saved.')", "listener/chat_settings.py"),
        ("InlineKeyboardButton('🔄 Refresh', callback_data=x)", "answering/plan.py"),
        ("InlineQueryResultArticle(id='1', title='Cannot unroll')", "listener/inline.py"),
        ("BotCommand('help', 'how to ask')", "listener/__init__.py"),
        ("Edit(f'Refreshed: {n} new posts')", "answering/plan.py"),
        ("class E:\n    def user_message(self, words):\n        return 'Gone.'", "errors.py"),
        ("words.gettext(f'{n} posts')", "rendering/summary.py"),
        ("QUOTA = 'You are asking very fast.'", "listener/texts.py"),
        ("NAMES = {'auto': 'automatic'}", "listener/texts.py"),
        ("await reply(services, message, error.user_message())", "listener/intake.py"),
    ],
)
def test_a_bypassing_literal_is_found(source: str, path: str) -> None:
    assert len(bypasses(source, path)) == 1


@pytest.mark.parametrize(
    ("source", "path"),
    [
        ("await sender.send(target, words.gettext(texts.QUOTA))", "listener/intake.py"),
        ("await sender.send(target, ' · ')", "worker.py"),
        ("QUOTA = N_('You are asking very fast.')", "listener/texts.py"),
        ("InlineKeyboardButton(format.button or '', callback_data=x)", "answering/plan.py"),
        ("print(exc.user_message(), file=sys.stderr)", "cli.py"),
    ],
)
def test_a_catalog_sentence_passes(source: str, path: str) -> None:
    assert bypasses(source, path) == []
