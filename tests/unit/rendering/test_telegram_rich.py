"""Telegram rich message: layout of every element, right-to-left, and fitting to the limits.

Every message is also checked with `tests.fakes.telegram_rich.validate`, the parser the fake
Bot API uses, so the renderer's own counts are held against an independent reading.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model import (
    Author,
    LinkCard,
    Media,
    MediaType,
    Poll,
    PollOption,
    Post,
    Quote,
    Report,
    Segment,
    SegmentKind,
    Thread,
)
from bot.rendering import RenderOptions
from bot.rendering.telegram_rich import (
    CONTINUE_TEXT,
    MAX_BLOCKS,
    MAX_DEPTH,
    MAX_MEDIA,
    MAX_TEXT_CHARS,
    Limits,
    RichMessage,
    is_rtl,
    render,
    render_document,
)
from tests.fakes import telegram_rich as fake_rich
from tests.fakes.telegram_rich import RichStats, validate
from tests.samples import link, long_thread, post, rich_thread, text, thread

BARE = RenderOptions(include_header=False, include_footer=False)
PAGE_URL = "https://unroll.example/read/abc"
PHOTO = Media(MediaType.PHOTO, "https://img.example/1.jpg", alt="A chart\nof  growth")


def _checked(message: RichMessage) -> RichStats:
    """Validate like Telegram and check the renderer counted what the validator counts."""
    stats = validate({"html": message.html, "is_rtl": message.is_rtl})
    measured = (message.chars, message.blocks, message.depth, message.media)
    assert measured == (stats.chars, stats.blocks, stats.depth, stats.media)
    return stats


def _html(value: Thread, options: RenderOptions = BARE, **kwargs: object) -> str:
    message = render(value, options, **kwargs)  # type: ignore[arg-type]
    _checked(message)
    return message.html


def test_renderer_and_fake_telegram_share_the_documented_limits() -> None:
    assert (MAX_TEXT_CHARS, MAX_BLOCKS, MAX_DEPTH, MAX_MEDIA) == (
        fake_rich.MAX_TEXT_CHARS,
        fake_rich.MAX_BLOCKS,
        fake_rich.MAX_DEPTH,
        fake_rich.MAX_MEDIA,
    )


def test_heading_names_the_author_and_the_date() -> None:
    assert _html(rich_thread(), RenderOptions(include_footer=False)).startswith(
        '<h2><a href="https://x.com/ada">Ada &lt;Lovelace&gt; &amp; Co</a> (@ada)'
        " · 3 Mar 2025</h2>"
    )


def test_footer_links_the_original_and_says_how_complete() -> None:
    assert _html(rich_thread(), RenderOptions(include_header=False)).endswith(
        '<footer><a href="https://x.com/ada/status/1000">Original on X</a> · 5 posts'
        " · 1 deleted · 2 replies by others skipped · 1 min read</footer>"
    )


def test_footer_links_the_authors_other_branch() -> None:
    report = Report(
        posts=1,
        complete=False,
        other_branch_posts=3,
        other_branch_url="https://x.com/ada/status/2000",
    )
    forked = thread(post(0, text("One")), report=report)
    assert _html(forked, RenderOptions(include_header=False)).endswith(
        '<footer><a href="https://x.com/ada/status/1000">Original on X</a> · 1 post · '
        '<a href="https://x.com/ada/status/2000">the author also replied elsewhere: 3 posts'
        " not shown</a> · 1 min read</footer>"
    )


def test_text_is_escaped_and_links_keep_their_query() -> None:
    markup = _html(rich_thread())
    assert "Why &lt;b&gt;tags&lt;/b&gt; &amp; entities" in markup
    assert '<a href="https://example.com/a?x=1&amp;y=2">example.com/a…</a>' in markup


def test_reflowed_posts_run_on_in_one_paragraph() -> None:
    assert "<p>Second post ends mid sentence and goes on here. Привет, 世界!</p>" in _html(
        rich_thread()
    )


def test_posts_as_posted_are_set_apart_by_dividers() -> None:
    original = thread(post(0), post(1), post(2))
    assert _html(original).count("<hr>") == 2


def test_dividers_can_be_turned_off_for_prose() -> None:
    assert "<hr>" not in _html(thread(post(0), post(1)), dividers=False)


def test_line_breaks_inside_a_paragraph_become_br() -> None:
    assert "<p>one<br>two</p>" in _html(thread(post(0, text("one\ntwo"))))


def test_photo_is_a_photo_block_captioned_with_its_alt_text() -> None:
    markup = _html(thread(post(0, media=(PHOTO,))))
    assert (
        '<figure><img src="https://img.example/1.jpg"><figcaption>A chart of growth'
        "</figcaption></figure>"
    ) in markup


def test_photo_without_alt_text_has_no_caption() -> None:
    bare = Media(MediaType.PHOTO, "https://img.example/2.jpg")
    assert '<figure><img src="https://img.example/2.jpg"></figure>' in _html(
        thread(post(0, media=(bare,)))
    )


def test_several_photos_of_one_post_make_a_collage() -> None:
    second = Media(MediaType.PHOTO, "https://img.example/2.jpg", alt="Another")
    markup = _html(thread(post(0, media=(PHOTO, second))))
    assert markup.count("<tg-collage>") == 1
    collage = markup.split("<tg-collage>")[1].split("</tg-collage>")[0]
    assert collage.count("<figure>") == 2


def test_video_shows_its_poster_linked_to_the_video() -> None:
    video = Media(MediaType.VIDEO, "https://v.example/v.mp4", thumbnail_url="https://i/t.jpg")
    assert (
        '<figure><img src="https://i/t.jpg"><figcaption><a href="https://v.example/v.mp4">'
        "🎞 Video</a></figcaption></figure>"
    ) in _html(thread(post(0, media=(video,))))


def test_gif_without_poster_is_a_linked_line() -> None:
    gif = Media(MediaType.GIF, "https://v.example/g.mp4", alt="Cat")
    assert '<p><a href="https://v.example/g.mp4">🎞 GIF: Cat</a></p>' in _html(
        thread(post(0, media=(gif,)))
    )


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://files.example/a.jpg", "data:x"])
def test_only_web_urls_become_links_or_media(url: str) -> None:
    shown = thread(
        post(0, link("click", url), media=(Media(MediaType.PHOTO, url, alt="pic"),)),
    )
    markup = _html(shown)
    assert url not in markup
    assert "<p>click</p>" in markup
    assert "<img" not in markup


def test_quote_is_a_block_quotation_headed_by_its_author() -> None:
    quote = Quote(
        url="https://x.com/bob/status/1",
        author=Author("bob", "Bob", "https://x.com/bob"),
        text=(text("First.\n\nSecond."),),
        media=(Media(MediaType.PHOTO, "https://img.example/q.jpg", alt="Q"),),
    )
    assert (
        '<blockquote><p><b><a href="https://x.com/bob/status/1">Bob (@bob)</a></b></p>'
        '<p>First.</p><p>Second.</p><p><a href="https://img.example/q.jpg">🖼 Photo: Q</a></p>'
        "</blockquote>"
    ) in _html(thread(post(0, quote=quote)))


def test_unavailable_quote_says_so() -> None:
    assert "<blockquote><p><i>Quoted post unavailable</i></p></blockquote>" in _html(
        thread(post(0, quote=Quote(url=None, unavailable=True)))
    )


def test_link_card_is_a_compact_quotation() -> None:
    card = LinkCard("https://news.example/s", "A story", "What " * 80)
    markup = _html(thread(post(0, card=card)))
    assert '<blockquote><p>🔗 <a href="https://news.example/s">A story</a></p><p><i>What' in markup
    description = markup.split("<i>")[-1].split("</i>")[0]
    assert len(description) <= 201


def test_poll_is_a_list_with_shares() -> None:
    poll = Poll(options=(PollOption("Yes", 3), PollOption("No", 1)), total_votes=4, closed=True)
    assert (
        "<p>📊 Poll · 4 votes · final results</p>"
        "<ul><li>Yes — 3 votes (75%)</li><li>No — 1 vote (25%)</li></ul>"
    ) in _html(thread(post(0, poll=poll)))


def test_content_warning_hides_its_posts_in_collapsed_details() -> None:
    warned = thread(
        post(0, text("Before.")),
        post(1, text("Hidden one."), content_warning="spoilers  ahead"),
        post(2, text("Hidden two."), content_warning="spoilers  ahead"),
        post(3, text("After.")),
    )
    markup = _html(warned, dividers=False)
    assert markup == (
        "<p>Before.</p><details><summary>CW: spoilers ahead</summary>"
        "<p>Hidden one.</p><p>Hidden two.</p></details><p>After.</p>"
    )
    assert "<details open" not in markup


def test_deleted_posts_are_marked_where_they_were() -> None:
    assert "<p><i>⋯ 2 deleted posts</i></p><p>Later.</p>" in _html(
        thread(post(0), post(1, text("Later."), gap_before=2))
    )


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("שלום עולם, זה שרשור ארוך", True),
        ("مرحبا بالعالم هذا خيط طويل", True),
        ("Hello world, a long thread", False),
        ("Hello world and a long thread — שלום", False),
        ("12345 !!!", False),
        ("مَرْحَبًا ١٢٣٤٥٦٧٨٩ hello world", False),  # vowel marks and digits are no letters
    ],
)
def test_right_to_left_follows_the_majority_of_strong_letters(words: str, expected: bool) -> None:
    shown = thread(post(0, text(words)))
    assert is_rtl(shown) is expected
    assert render(shown).is_rtl is expected


def test_a_thread_that_fits_is_complete_without_continue_link() -> None:
    message = render(rich_thread(), continue_url=PAGE_URL)
    assert (message.posts_shown, message.posts_total, message.complete) == (5, 5, True)
    assert CONTINUE_TEXT not in message.html


def test_too_long_a_thread_keeps_whole_posts_then_links_the_page() -> None:
    long = long_thread(400)
    message = render(long, continue_url=PAGE_URL)
    stats = _checked(message)
    assert 0 < message.posts_shown < 400
    assert not message.complete
    assert stats.chars <= MAX_TEXT_CHARS
    # The last post shown is whole, the next one absent, and the link comes before the footer.
    assert f"Sentence {message.posts_shown - 1} ends here.</p>" in message.html
    assert f"Sentence {message.posts_shown} ends here." not in message.html
    assert f'<p><a href="{PAGE_URL}">{CONTINUE_TEXT}</a></p><footer>' in message.html


def test_the_posts_shown_are_as_many_as_fit() -> None:
    long = long_thread(400)
    message = render(long, continue_url=PAGE_URL)
    next_post = long.posts[message.posts_shown].plain_text
    assert message.chars + len(next_post) > MAX_TEXT_CHARS


def test_without_a_page_url_a_cut_thread_has_no_continue_link() -> None:
    message = render(long_thread(400))
    assert not message.complete
    assert CONTINUE_TEXT not in message.html


def test_a_long_run_under_one_warning_is_cut_inside_its_details() -> None:
    warned = thread(*(post(i, text("word " * 300), content_warning="cw") for i in range(40)))
    message = render(warned, continue_url=PAGE_URL, dividers=False)
    _checked(message)
    assert 0 < message.posts_shown < 40
    assert message.html.count("<details>") == 1
    assert message.html.count("<p>word") == message.posts_shown


def test_a_continue_url_that_is_not_a_web_address_is_left_out() -> None:
    message = render(long_thread(400), continue_url="javascript:alert(1)")
    assert not message.complete
    assert CONTINUE_TEXT not in message.html


def test_media_limit_stops_before_the_fifty_first_photo() -> None:
    photos = thread(*(post(i, media=(PHOTO,)) for i in range(60)))
    message = render(photos)
    _checked(message)
    assert (message.media, message.posts_shown) == (MAX_MEDIA, MAX_MEDIA)


def test_block_limit_holds_for_many_short_posts() -> None:
    message = render(thread(*(post(i, text("Hi.")) for i in range(400))))
    stats = _checked(message)
    assert stats.blocks <= MAX_BLOCKS < stats.blocks + 3  # one post more (p and hr) is too many


def test_header_and_footer_can_be_left_out() -> None:
    markup = _html(thread(post(0, text("Only this."))))
    assert markup == "<p>Only this.</p>"


def test_document_is_the_html_with_a_final_newline() -> None:
    assert render_document(rich_thread()) == render(rich_thread()).html + "\n"


# Random threads: whatever the content and the limits, Telegram's checks pass.

_WORD = st.text(alphabet="abcxyzé世🧵<>&\"'אب", min_size=1, max_size=12)
_SPACE = st.sampled_from([" ", " ", " ", "\n", "\n\n", ". ", "! "])
_URLS = st.sampled_from(["https://e.x/?a=1&b=2", "http://e.x/\"q'", "javascript:x", "tg://x"])


def _segment(kind: SegmentKind, url: str, words: list[tuple[str, str]]) -> Segment:
    value = "".join(word + space for word, space in words)
    if kind is SegmentKind.TEXT:
        return Segment(kind, value)
    return Segment(kind, value.strip(), url)


_segments = st.lists(
    st.builds(
        _segment,
        st.sampled_from(SegmentKind),
        _URLS,
        st.lists(st.tuples(_WORD, _SPACE), min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=5,
).map(tuple)
_media = st.builds(
    Media, st.sampled_from(MediaType), _URLS, _WORD, thumbnail_url=st.none() | _URLS
)
_option = st.builds(PollOption, _WORD, st.none() | st.integers(0, 9))
_options = st.lists(_option, max_size=3).map(tuple)
_quotes = st.one_of(
    st.none(),
    st.builds(Quote, url=st.just("https://x.com/q"), text=_segments),
    st.just(Quote(url=None, unavailable=True)),
)
_posts = st.builds(
    Post,
    id=st.just("1"),
    url=st.just("https://x.com/ada/status/1"),
    created_at=st.just(datetime(2025, 3, 3, tzinfo=UTC)),
    text=_segments,
    media=st.lists(_media, max_size=3).map(tuple),
    quote=_quotes,
    card=st.none() | st.builds(LinkCard, _URLS, _WORD, _WORD),
    poll=st.none() | st.builds(Poll, _options),
    content_warning=st.none() | _WORD,
    gap_before=st.integers(0, 2),
    joins_next=st.booleans(),
)
_threads = st.lists(_posts, min_size=1, max_size=8).map(lambda posts: thread(*posts))
_limits = st.builds(
    Limits, chars=st.integers(300, 2000), blocks=st.integers(10, 80), media=st.integers(0, 6)
)


@settings(max_examples=60)
@given(thread=_threads, limits=_limits, dividers=st.none() | st.booleans())
def test_random_threads_validate_within_the_limits(
    thread: Thread, limits: Limits, dividers: bool | None
) -> None:
    message = render(thread, continue_url=PAGE_URL, dividers=dividers, limits=limits)
    stats = _checked(message)
    assert stats.chars <= limits.chars
    assert stats.blocks <= limits.blocks
    assert stats.media <= limits.media
    assert message.complete == (CONTINUE_TEXT not in message.html)
