"""The standalone reader page in a real headless Chromium: phone width, dark mode, print, offline.

Chromium runs with `--remote-debugging-pipe` and the tests speak the DevTools protocol to it
(NUL-terminated JSON on the child's fds 3 and 4). That needs no websocket client and no port,
and it answers layout questions exactly (scroll width, element boxes, computed colours, the
requests the page made) where screenshots alone would only hint; the one pixel we do read is
the painted background. Host resolution is switched off, so the page must work offline and its
hot-linked images fail here as they would for a reader whose image host is down.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bot.rendering import html_page
from tests import samples

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(60)]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # No lookups at all: the test is the same with or without internet.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)
DARK_FLAG = "--force-dark-mode"  # Chromium 156 headless maps it to prefers-color-scheme: dark.
WCAG_AA_CONTRAST = 4.5
UNBROKEN = "https://example.com/" + "averylongpathwithnobreaks" * 8


@dataclass(frozen=True)
class View:
    """A device the page is shown on."""

    width: int
    height: int
    mobile: bool


PHONE = View(390, 844, mobile=True)
DESKTOP = View(1280, 900, mobile=False)


@dataclass
class Chromium:
    """One headless Chromium; `call` sends a DevTools command and returns its result."""

    process: subprocess.Popen[bytes]
    commands: int
    replies: int
    events: list[dict[str, Any]] = field(default_factory=list)
    _buffer: bytes = b""
    _last_id: int = 0

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result, keeping the events that arrive meanwhile."""
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        with open(self.commands, "wb", buffering=0, closefd=False) as pipe:
            pipe.write(json.dumps(message).encode() + b"\0")
        while (reply := self._receive()).get("id") != self._last_id:
            self.events.append(reply)
        assert "error" not in reply, f"{method}: {reply['error']}"
        result: dict[str, Any] = reply["result"]
        return result

    def wait_for(self, method: str, session: str) -> None:
        """Return once the event has arrived for the session."""
        while not any(
            e["method"] == method and e.get("sessionId") == session for e in self.events
        ):
            self.events.append(self._receive())

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self.replies, 1 << 20)
            assert chunk, "Chromium closed the DevTools pipe"
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed


@dataclass
class Tab:
    """One page target of a Chromium, attached as a flat session."""

    browser: Chromium
    session: str

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command to this page."""
        return self.browser.call(method, self.session, **params)

    def evaluate(self, expression: str) -> Any:
        """Return the value of a JavaScript expression in the page, awaiting a promise."""
        reply = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        assert "exceptionDetails" not in reply, reply["exceptionDetails"]
        return reply["result"].get("value")

    def requested_urls(self) -> list[str]:
        """Return every URL the page asked the network for."""
        return [
            e["params"]["request"]["url"]
            for e in self.browser.events
            if e["method"] == "Network.requestWillBeSent" and e.get("sessionId") == self.session
        ]


def _chromium_path() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: scripts/test.sh installs it")
    pytest.skip("chromium is not installed (scripts/test.sh installs it from Debian)")


def _high_pipe() -> tuple[int, int]:
    """Return a pipe whose ends sit above fd 9, so moving them onto fds 3 and 4 cannot clash."""
    ends = os.pipe()
    moved = tuple(fcntl.fcntl(end, fcntl.F_DUPFD_CLOEXEC, 10) for end in ends)
    for end in ends:
        os.close(end)
    return moved[0], moved[1]


def _start_chromium(profile: Path, *flags: str) -> Chromium:
    commands_in, commands = _high_pipe()
    replies, replies_out = _high_pipe()
    # Chromium reads commands on fd 3 and writes replies on fd 4. bash moves our pipes there
    # (dash cannot name fds above 9).
    script = f'exec "$0" "$@" 3<&{commands_in} 4>&{replies_out}'
    process = subprocess.Popen(
        ["bash", "-c", script, _chromium_path(), *FLAGS, *flags, f"--user-data-dir={profile}"],
        pass_fds=(commands_in, replies_out),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(commands_in)
    os.close(replies_out)
    return Chromium(process, commands, replies)


@contextmanager
def _running(profile: Path, *flags: str) -> Iterator[Chromium]:
    browser = _start_chromium(profile, *flags)
    try:
        yield browser
    finally:
        browser.process.kill()
        browser.process.wait(timeout=10)
        os.close(browser.commands)
        os.close(browser.replies)


@pytest.fixture(scope="module")
def light(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """A Chromium that prefers the light colour scheme (the default)."""
    with _running(tmp_path_factory.mktemp("light-profile")) as browser:
        yield browser


@pytest.fixture(scope="module")
def dark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """A Chromium that prefers the dark colour scheme, as a phone in dark mode does."""
    with _running(tmp_path_factory.mktemp("dark-profile"), DARK_FLAG) as browser:
        yield browser


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Write the reader page of each sample thread to a file; name → path."""
    unbroken = samples.thread(
        samples.post(0, samples.text(UNBROKEN + " "), samples.link(UNBROKEN, UNBROKEN)),
        samples.post(1, samples.text("Then a normal sentence.")),
    )
    threads = {
        "rich": samples.rich_thread(),
        "long": samples.long_thread(),
        "unbroken": unbroken,
        "arabic": samples.arabic_thread(),
    }
    directory = tmp_path_factory.mktemp("pages")
    for name, thread in threads.items():
        (directory / f"{name}.html").write_text(html_page.render(thread), encoding="utf-8")
    return {name: directory / f"{name}.html" for name in threads}


@contextmanager
def opened(browser: Chromium, page: Path, view: View) -> Iterator[Tab]:
    """Open the page in a fresh tab sized as the view; every image has settled when it yields."""
    target = browser.call("Target.createTarget", url="about:blank")["targetId"]
    session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    tab = Tab(browser, session)
    try:
        for method in ("Network.enable", "Page.enable"):
            tab.call(method)
        metrics = {"width": view.width, "height": view.height, "mobile": view.mobile}
        tab.call("Emulation.setDeviceMetricsOverride", deviceScaleFactor=1, **metrics)
        tab.call("Page.navigate", url=page.as_uri())
        browser.wait_for("Page.loadEventFired", session)
        tab.evaluate(_IMAGES_SETTLED)
        yield tab
    finally:
        browser.call("Target.closeTarget", targetId=target)


_IMAGES_SETTLED = """Promise.all(Array.from(document.images, (i) => i.complete ? null :
  new Promise((done) => { i.onload = i.onerror = done; })))"""


def _top_left_pixel(tab: Tab) -> tuple[int, int, int]:
    """Return the painted colour of the page's top-left pixel, decoded from a 1×1 PNG."""
    clip = {"x": 0, "y": 0, "width": 1, "height": 1, "scale": 1}
    png = base64.b64decode(tab.call("Page.captureScreenshot", format="png", clip=clip)["data"])
    # One pixel in one row: every PNG filter leaves it as is (nothing left of it, nothing above).
    row = zlib.decompress(b"".join(_chunks(png, b"IDAT")))
    return row[1], row[2], row[3]


def _chunks(png: bytes, kind: bytes) -> Iterator[bytes]:
    """Yield the data of every chunk of that kind: Chromium splits IDAT even for one pixel."""
    at = len(b"\x89PNG\r\n\x1a\n")
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        if png[at + 4 : at + 8] == kind:
            yield png[at + 8 : at + 8 + length]
        at += 12 + length  # length, kind, data, CRC


def _rgb(css_colour: str) -> tuple[int, int, int]:
    red, green, blue = (int(float(n)) for n in re.findall(r"[\d.]+", css_colour)[:3])
    return red, green, blue


def _luminance(rgb: tuple[int, int, int]) -> float:
    """Return WCAG relative luminance, 0 (black) to 1 (white)."""
    linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    low, high = sorted((_luminance(first), _luminance(second)))
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("name", ["rich", "long", "unbroken", "arabic"])
def test_page_has_no_horizontal_scroll_on_phone(
    light: Chromium, pages: dict[str, Path], name: str
) -> None:
    with opened(light, pages[name], PHONE) as tab:
        widths = tab.evaluate("[innerWidth, document.documentElement.scrollWidth]")
    assert widths == [PHONE.width, PHONE.width]


def test_body_text_is_phone_sized(light: Chromium, pages: dict[str, Path]) -> None:
    """Below 16 px a phone reader has to zoom; the viewport meta keeps CSS pixels real."""
    with opened(light, pages["rich"], PHONE) as tab:
        size = tab.evaluate("getComputedStyle(document.querySelector('article > p')).fontSize")
    assert float(size.removesuffix("px")) >= 16


def test_text_column_centred_on_desktop(light: Chromium, pages: dict[str, Path]) -> None:
    with opened(light, pages["rich"], DESKTOP) as tab:
        left, right = tab.evaluate(
            "(({left, right}) => [left, innerWidth - right])"
            "(document.querySelector('article').getBoundingClientRect())"
        )
    assert round(left) == round(right) > 0


@pytest.mark.parametrize(("scheme", "expected_dark"), [("light", False), ("dark", True)])
def test_background_follows_colour_scheme(
    request: pytest.FixtureRequest, pages: dict[str, Path], scheme: str, expected_dark: bool
) -> None:
    browser: Chromium = request.getfixturevalue(scheme)
    with opened(browser, pages["rich"], PHONE) as tab:
        background = _top_left_pixel(tab)
    assert _luminance(background) < 0.05 if expected_dark else _luminance(background) > 0.9


_TEXT_COLOURS = """Array.from(document.querySelectorAll('main *'))
  .filter((e) => Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.data.trim()))
  .map((e) => {
    let behind = e;
    while (getComputedStyle(behind).backgroundColor === 'rgba(0, 0, 0, 0)') {
      behind = behind.parentElement;
    }
    return [e.tagName + '.' + e.className, getComputedStyle(e).color,
      getComputedStyle(behind).backgroundColor];
  })"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_readable_against_its_background(
    request: pytest.FixtureRequest, pages: dict[str, Path], scheme: str
) -> None:
    browser: Chromium = request.getfixturevalue(scheme)
    with opened(browser, pages["rich"], PHONE) as tab:
        colours = tab.evaluate(_TEXT_COLOURS)
    low = {
        element: round(contrast, 2)
        for element, text, behind in colours
        if (contrast := _contrast(_rgb(text), _rgb(behind))) < WCAG_AA_CONTRAST
    }
    assert len(colours) > 10, "the query should find the page's texts"
    assert low == {}


_BROKEN_IMAGES = """Array.from(document.images, (i) => {
  const pen = document.createElement('canvas').getContext('2d');
  pen.font = getComputedStyle(i).font;
  const box = i.getBoundingClientRect();
  return {broken: i.naturalWidth === 0, altFits: box.width >= pen.measureText(i.alt).width,
    inColumn: box.right <= document.querySelector('article').getBoundingClientRect().right};
})"""


def test_broken_images_show_their_alt_text_in_the_column(
    light: Chromium, pages: dict[str, Path]
) -> None:
    """Hot-linked images fail offline; each must still show its whole alt text, in the column."""
    with opened(light, pages["rich"], PHONE) as tab:
        images = tab.evaluate(_BROKEN_IMAGES)
    expected = {"broken": True, "altFits": True, "inColumn": True}
    assert images == [expected] * 2


@pytest.mark.parametrize("name", ["rich", "unbroken"])
def test_page_requests_nothing_but_its_images(
    light: Chromium, pages: dict[str, Path], name: str
) -> None:
    with opened(light, pages[name], PHONE) as tab:
        images = set(tab.evaluate("Array.from(document.images, (i) => i.src)"))
        requested = set(tab.requested_urls())
    assert requested - images == {pages[name].as_uri()}


class _StyleText(HTMLParser):
    """Collect the text of every `<style>` element."""

    def __init__(self) -> None:
        super().__init__()
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


def test_inline_css_fetches_nothing(pages: dict[str, Path]) -> None:
    """Fonts and imports in CSS load lazily, so the request log alone could miss them."""
    parser = _StyleText()
    parser.feed(pages["rich"].read_text(encoding="utf-8"))
    css = "".join(parser.css)
    assert css, "the page should carry its CSS inline"
    assert re.findall(r"url\(|@import|@font-face", css) == []


@pytest.mark.parametrize("name", ["rich", "long"])
def test_print_shows_the_same_text_as_the_screen(
    light: Chromium, pages: dict[str, Path], name: str
) -> None:
    with opened(light, pages[name], DESKTOP) as tab:
        screen = tab.evaluate("document.body.innerText")
        tab.call("Emulation.setEmulatedMedia", media="print")
        printed = tab.evaluate("document.body.innerText")
    assert len(screen) > 100, "the page should have text to print"
    assert printed == screen


@pytest.mark.parametrize(("name", "min_pages"), [("rich", 1), ("long", 5)])
def test_print_to_pdf_lays_out_every_page(
    light: Chromium, pages: dict[str, Path], name: str, min_pages: int
) -> None:
    with opened(light, pages[name], DESKTOP) as tab:
        pdf = base64.b64decode(tab.call("Page.printToPDF")["data"])
    page_count = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pdf.startswith(b"%PDF-")
    assert page_count >= min_pages


# Boxes of the first post's words, of the English link's first and last word and of the
# Arabic word before it, measured on the text itself (a Range), not on the block around it.
_ARABIC_LAYOUT = """(() => {
  const column = document.querySelector('article').getBoundingClientRect();
  const box = (node, start, end) => {
    const range = document.createRange();
    if (start === undefined) { range.selectNodeContents(node); }
    else { range.setStart(node, start); range.setEnd(node, end); }
    return range.getBoundingClientRect();
  };
  const [first, second] = document.querySelectorAll('article > p:not([class])');
  const link = second.querySelector('a').firstChild;
  const words = link.data.split(' ');
  return {
    column: [column.left, column.right],
    firstPost: [box(first).left, box(first).right],
    firstWord: box(link, 0, words[0].length).left,
    lastWord: box(link, link.data.length - words.at(-1).length, link.data.length).left,
    linkRight: box(link).right,
    arabicBefore: box(second.firstChild).left,
  };
})()"""


@pytest.mark.parametrize("view", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_arabic_thread_reads_right_to_left_with_its_english_link_left_to_right(
    light: Chromium, pages: dict[str, Path], view: View
) -> None:
    """A short Arabic post ends at the column's right edge, not its left; inside the next post
    the English link keeps its word order and sits after (left of) the Arabic word before it."""
    with opened(light, pages["arabic"], view) as tab:
        layout = tab.evaluate(_ARABIC_LAYOUT)
    column_left, column_right = layout["column"]
    text_left, text_right = layout["firstPost"]
    assert round(text_right) == round(column_right)
    assert text_left - column_left > 50, "a short line should leave room on its left"
    assert layout["firstWord"] < layout["lastWord"], "the link's words must read left to right"
    assert layout["linkRight"] <= layout["arabicBefore"] + 1


_QUOTE_BORDERS = """(() => {
  const style = getComputedStyle(document.querySelector('blockquote'));
  return [parseFloat(style.borderLeftWidth), parseFloat(style.borderRightWidth),
    document.documentElement.dir];
})()"""


@pytest.mark.parametrize(
    ("name", "expected"), [("rich", [4, 0, "ltr"]), ("arabic", [0, 4, "rtl"])]
)
def test_quote_is_ruled_on_the_side_the_text_starts(
    light: Chromium, pages: dict[str, Path], name: str, expected: list[object]
) -> None:
    with opened(light, pages[name], PHONE) as tab:
        borders = tab.evaluate(_QUOTE_BORDERS)
    assert borders == expected


_QUOTED_AUTHOR = """(() => {
  const caption = document.querySelector('blockquote .caption');
  const [name, handle] = caption.querySelectorAll('bdi');
  const box = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return range.getBoundingClientRect();
  };
  const text = handle.firstChild;
  return {
    at: box(text, 0, 1).left,
    last: box(text, text.length - 1, text.length).left,
    handleRight: handle.getBoundingClientRect().right,
    nameLeft: name.getBoundingClientRect().left,
    captionRight: caption.getBoundingClientRect().right,
    nameRight: name.getBoundingClientRect().right,
  };
})()"""


def test_quoted_arabic_name_leads_and_its_handle_reads_left_to_right(
    light: Chromium, pages: dict[str, Path]
) -> None:
    """ "ليلى (@layla)" in an Arabic quote: the name at the right edge, the handle after it (to
    its left) and starting with its "@", not shown as "(layla@)"."""
    with opened(light, pages["arabic"], PHONE) as tab:
        caption = tab.evaluate(_QUOTED_AUTHOR)
    assert round(caption["nameRight"]) == round(caption["captionRight"])
    assert caption["handleRight"] < caption["nameLeft"]
    assert caption["at"] < caption["last"]
