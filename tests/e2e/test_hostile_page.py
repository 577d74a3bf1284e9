"""A hostile thread's reader page, served by the real web app and opened in real Chromium.

The cached threads were never sanitised (as a result cached before `safety` existed would be):
every URL field carries a `javascript:`, `data:`, `vbscript:` or `file:` URL and every text
field markup. The renderer must link none of them, and the response's Content-Security-Policy
must stop a script even where a link slipped through: Chromium runs a `javascript:` link's
code unless the policy forbids inline script.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from bot.codec import encode_result
from bot.model import Thread
from bot.queue import Job
from bot.queue.memory import MemoryJobQueue
from bot.store import MemoryChatStore
from bot.web import SECURITY_HEADERS, build_web_app
from tests import samples
from tests.e2e.test_reader_page import PHONE, Chromium, Tab, View, _running
from tests.fakes.server import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(90)]

TITLE_AFTER_RUN = "pwned"
HOSTILE_URLS = {
    "javascript": f"javascript:document.title='{TITLE_AFTER_RUN}'",
    "mixed-case": f" JaVaScRiPt:document.title='{TITLE_AFTER_RUN}'",
    "control": f"\x01javascript:document.title='{TITLE_AFTER_RUN}'",
    "tab": f"java\tscript:document.title='{TITLE_AFTER_RUN}'",
    "entity": f"javascript&colon;document.title='{TITLE_AFTER_RUN}'",
    "data": "data:text/html,<script>top.document.title='pwned'</script>",
    "vbscript": "vbscript:msgbox(1)",
    "file": "file:///etc/passwd",
}
WORDS = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


async def _cache(queue: MemoryJobQueue, key: str, thread: Thread) -> None:
    """Put a thread in the result cache the way a worker does: submit, claim, finish."""
    await queue.submit(key, b"request")
    job: Job = (await queue.claim("test", count=1, block_s=0))[0]
    await queue.finish(job, encode_result(thread), ttl_s=3600)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The bot's web app on a free port, with each hostile thread cached; yields its base URL."""
    queue = MemoryJobQueue()
    threads = {name: samples.hostile_thread(url, WORDS) for name, url in HOSTILE_URLS.items()}
    threads["rich"] = samples.rich_thread()
    for name, thread in threads.items():
        asyncio.run(_cache(queue, f"x:x.com:{name}", thread))
    with _serving(build_web_app(queue=queue, store=MemoryChatStore())) as url:
        yield url


@contextmanager
def _serving(app: Starlette) -> Iterator[str]:
    """Serve the app with uvicorn on a free port in a thread, as `unroll-bot run` serves it."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the web app stopped while starting"
        assert time.monotonic() < deadline, "the web app did not start in time"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """A Chromium that may reach 127.0.0.1 but resolves no other host."""
    rules = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
    with _running(tmp_path_factory.mktemp("hostile-profile"), rules) as chromium:
        yield chromium


@contextmanager
def opened(browser: Chromium, url: str, view: View = PHONE) -> Iterator[Tab]:
    """Open the URL in a fresh tab; yields once the page has loaded."""
    target = browser.call("Target.createTarget", url="about:blank")["targetId"]
    session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    tab = Tab(browser, session)
    try:
        for method in ("Network.enable", "Page.enable", "Log.enable"):
            tab.call(method)
        metrics = {"width": view.width, "height": view.height, "mobile": view.mobile}
        tab.call("Emulation.setDeviceMetricsOverride", deviceScaleFactor=1, **metrics)
        tab.call("Page.navigate", url=url)
        browser.wait_for("Page.loadEventFired", session)
        yield tab
    finally:
        browser.call("Target.closeTarget", targetId=target)


# Click every link that does not leave for the web (those would navigate the tab away), then
# give any `javascript:` navigation a moment to run; report the hrefs clicked and the title.
_CLICK_EVERY_LINK = """(async () => {
  const clicked = [];
  for (const a of document.querySelectorAll('a[href]')) {
    if (['http:', 'https:'].includes(a.protocol)) continue;
    clicked.push(a.getAttribute('href'));
    a.click();
  }
  await new Promise((done) => setTimeout(done, 300));
  return {clicked, title: document.title};
})()"""

# A link the renderer would never write, made in the page itself: only the CSP stops it.
_CLICK_PLANTED_LINK = """(async () => {
  const a = document.createElement('a');
  a.href = "javascript:document.title='pwned'";
  document.body.append(a);
  a.click();
  await new Promise((done) => setTimeout(done, 300));
  return document.title;
})()"""


@pytest.mark.parametrize("name", list(HOSTILE_URLS))
def test_clicking_every_link_runs_no_script(browser: Chromium, site: str, name: str) -> None:
    with opened(browser, f"{site}/read/x:x.com:{name}") as tab:
        before = tab.evaluate("document.title")
        outcome = tab.evaluate(_CLICK_EVERY_LINK)
        images = tab.evaluate("Array.from(document.images, (i) => i.getAttribute('src'))")
    # Any code that ran would have set the title to exactly TITLE_AFTER_RUN.
    assert (outcome, images) == ({"clicked": [], "title": before}, [])


def test_content_security_policy_stops_a_javascript_link(browser: Chromium, site: str) -> None:
    """Without the policy Chromium runs the planted link's code and the title changes."""
    with opened(browser, f"{site}/read/x:x.com:javascript") as tab:
        before = tab.evaluate("document.title")
        after = tab.evaluate(_CLICK_PLANTED_LINK)
    assert after == before


def test_page_css_still_applies_under_the_policy(browser: Chromium, site: str) -> None:
    """The policy allows the page's own <style> by hash; a wrong hash would drop all layout."""
    with opened(browser, f"{site}/read/x:x.com:rich") as tab:
        layout = tab.evaluate(
            "[getComputedStyle(document.querySelector('main')).maxWidth,"
            " document.documentElement.scrollWidth, innerWidth,"
            " getComputedStyle(document.body).fontFamily.includes('Charter')]"
        )
    assert (layout[0] != "none", layout[1] == layout[2], layout[3]) == (True, True, True)


def test_reader_page_breaks_no_rule_of_its_own_policy(browser: Chromium, site: str) -> None:
    """Chromium logs every blocked style, image or script; the page itself must cause none."""
    with opened(browser, f"{site}/read/x:x.com:rich") as tab:
        tab.evaluate("document.fonts.ready.then(() => true)")
        logged = [
            event["params"]["entry"]["text"]
            for event in browser.events
            if event["method"] == "Log.entryAdded" and event.get("sessionId") == tab.session
        ]
    assert [text for text in logged if "Content Security Policy" in text] == []


@pytest.mark.parametrize("path", ["/read/x:x.com:javascript", "/read/x:x.com:gone"])
def test_page_and_expired_page_carry_the_security_headers(site: str, path: str) -> None:
    response = httpx.get(f"{site}{path}", timeout=5)
    served = {name: response.headers.get(name) for name in SECURITY_HEADERS}
    assert (response.status_code in {200, 404}, served) == (True, SECURITY_HEADERS)


def test_policy_allows_no_script_and_no_framing() -> None:
    policy = dict(
        part.strip().split(" ", 1)
        for part in SECURITY_HEADERS["Content-Security-Policy"].split(";")
    )
    assert (
        policy["default-src"],
        "script-src" in policy,
        policy["frame-ancestors"],
        policy["base-uri"],
        policy["form-action"],
    ) == ("'none'", False, "'none'", "'none'", "'none'")
