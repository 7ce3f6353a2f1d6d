"""Parsing real-world feed quirks: a server's wrong charset, photo captions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.parsing import parse_feed

REAL = Path(__file__).resolve().parents[3] / "shared" / "feeds" / "real"

GREEK = (
    '<?xml version="1.0" encoding="ISO-8859-7"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>Καραντίνα στην Αθήνα</title><guid>1</guid></item></channel></rss>"
).encode("iso-8859-7")


def test_the_documents_own_encoding_wins_over_a_servers_default_charset():
    [item] = parse_feed(GREEK, "Liberal", content_type="text/xml; charset=ISO-8859-1")
    assert item.title == "Καραντίνα στην Αθήνα"


def test_the_servers_charset_counts_when_the_document_declares_none():
    body = GREEK.replace(b' encoding="ISO-8859-7"', b"")
    [item] = parse_feed(body, "Liberal", content_type="text/xml; charset=ISO-8859-7")
    assert item.title == "Καραντίνα στην Αθήνα"


@pytest.mark.skipif(not REAL.is_dir(), reason=f"the shared feed corpus is not at {REAL}")
def test_a_photo_caption_is_not_taken_for_the_story():
    items = parse_feed((REAL / "nytimes-homepage-rss2.xml").read_bytes(), "NYT")
    first = items[0]
    assert first.summary.startswith("U.S. intelligence agencies presented their unanimous conclusions")
    assert "One World Trade Center" not in first.summary + first.content, (
        "the caption is neither shown nor matched"
    )
    assert first.link == "http://www.nytimes.com/2017/01/06/us/politics/donald-trump-wall-hack-russia.html"


@pytest.mark.skipif(not REAL.is_dir(), reason=f"the shared feed corpus is not at {REAL}")
def test_a_video_keeps_its_description():
    items = parse_feed((REAL / "youtube-channel-atom.xml").read_bytes(), "YouTube")
    assert items[0].summary.startswith("A question is the most powerful force in the world")
