"""Which way a thread reads: right to left or left to right. Pure: no I/O.

The thread's language decides when the source named one (`Thread.language`); otherwise the
letters do, since a post without a language tag (an old Mastodon status, a client that sets no
`langs`) still shows its script.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.language import is_rtl_tag
from bot.model import Thread

Direction = Literal["ltr", "rtl"]

# Right-to-left letters (Hebrew, Arabic, Syriac, Thaana, NKo, presentation forms); the
# lookbehind drops what is no letter there: Arabic-Indic digits, vowel marks.
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc](?<=[^\\W\\d_])")
_LETTER = re.compile(r"[^\W\d_]")


def is_rtl(thread: Thread) -> bool:
    """Tell whether the thread reads right to left: by its language, else by its letters."""
    language = thread.language
    if language is not None:
        return is_rtl_tag(language)
    return is_rtl_letters(thread)


def is_rtl_letters(thread: Thread) -> bool:
    """Tell whether most strong letters of the posts are right-to-left (Arabic, Hebrew…)."""
    written = "".join(post.plain_text for post in thread.posts)
    rtl = len(_RTL_LETTER.findall(written))
    return rtl > 0 and 2 * rtl > len(_LETTER.findall(written))


def text_direction(thread: Thread) -> Direction:
    """Return the HTML `dir` value of the whole thread."""
    return "rtl" if is_rtl(thread) else "ltr"
