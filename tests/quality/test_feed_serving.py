"""How the reader's run serves a feed first: only its oldest entry, the rest byte for byte."""

from __future__ import annotations

from pathlib import Path

from tests.quality.feed_corpus import FeedFile, Outlet

HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>T</title>\n'
TAIL = b"</channel></rss>\n"


def item(title: str, date: str = "") -> bytes:
    published = f"<pubDate>{date}</pubDate>" if date else ""
    return f"  <item><title>{title}</title>{published}</item>\n".encode()


def feed(tmp_path: Path, body: bytes) -> FeedFile:
    path = tmp_path / "feed.xml"
    path.write_bytes(body)
    return FeedFile(path, Outlet("Test", "application/rss+xml"))


def test_only_the_oldest_entry_is_kept_and_nothing_else_changes(tmp_path: Path) -> None:
    newest = item("newest", "Sat, 07 Jan 2017 10:00:00 GMT")
    oldest = item("oldest", "Fri, 06 Jan 2017 10:00:00 +0000")
    middle = item("middle", "Sat, 07 Jan 2017 09:00:00 GMT")
    served = feed(tmp_path, HEAD + newest + oldest + middle + TAIL)
    assert served.oldest == 1
    assert served.with_oldest_only() == HEAD + b"  \n  " + oldest.strip() + b"\n  \n" + TAIL
    assert served.new_entries() == [0, 2]


def test_without_dates_the_last_entry_is_the_oldest(tmp_path: Path) -> None:
    served = feed(tmp_path, HEAD + item("first") + item("second") + TAIL)
    assert served.oldest == 1
    assert b"second" in served.with_oldest_only() and b"first" not in served.with_oldest_only()


def test_atom_entries_are_kept_or_removed_the_same_way(tmp_path: Path) -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b"<entry><title>new</title><updated>2015-05-04T00:01:27+00:00</updated></entry>"
        b"<entry><title>old</title><updated>2014-11-11T17:25:52+00:00</updated></entry></feed>"
    )
    served = feed(tmp_path, body)
    assert served.with_oldest_only() == (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        b"<entry><title>old</title><updated>2014-11-11T17:25:52+00:00</updated></entry></feed>"
    )


def test_a_feed_of_one_entry_is_served_whole_and_cannot_alert(tmp_path: Path) -> None:
    body = HEAD + item("only") + TAIL
    served = feed(tmp_path, body)
    assert served.with_oldest_only() == body
    assert not served.can_alert
