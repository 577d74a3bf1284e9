"""Threads decoded from the result cache lately, one object per cached answer.

The answerer keeps a presentation (cleaned, rendered, its page) only for the very Thread
object it was made from, so a new fetch never gets an old rendering. A thread asked for again
and again (a viral link in many groups, an inline query typed letter by letter) comes back
from the cache as the same bytes each time; handing back the same object for them lets such a
repeat skip decoding, cleaning and rendering (about 2.6 ms of CPU for 25 posts). The first
time, the rich message the worker rendered for its first answer, kept with the result, is
handed to `on_rendered`, so even that hit need not clean and render in the same mode and
language.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from bot.codec import decode_result_and_shown
from bot.errors import UnrollError
from bot.model import Thread
from bot.presentation import Rendered

THREADS_KEPT = 32
"""Enough for the threads asked for at once; each one holds its cached bytes and its Thread."""


class RecentThreads:
    """Decode cached results, giving back the same Thread for the same bytes while kept."""

    def __init__(
        self,
        size: int = THREADS_KEPT,
        on_rendered: Callable[[Thread, Rendered], None] | None = None,
    ) -> None:
        self.size = size
        self.on_rendered = on_rendered
        self._threads: OrderedDict[bytes, Thread] = OrderedDict()

    def decoded(self, cached: bytes) -> Thread | UnrollError:
        """Return the result `cached` holds: the Thread decoded for these bytes before, if any.

        Failures are decoded afresh each time: they are small, and an exception object is
        not to be shared (raising it writes its traceback into it).
        """
        thread = self._threads.get(cached)
        if thread is not None:
            self._threads.move_to_end(cached)
            return thread
        result, rendered = decode_result_and_shown(cached, Rendered)
        if isinstance(result, Thread):
            self._threads[cached] = result
            while len(self._threads) > self.size:
                self._threads.popitem(last=False)
            if rendered is not None and self.on_rendered is not None:
                self.on_rendered(result, rendered)
        return result
