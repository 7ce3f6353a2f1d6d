"""Links a reader should not get: tracking parameters, and redirectors in place of the story's
own address."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

from tests.quality.shown_alert import ShownAlert
from tests.quality.story import Story

__all__ = [
    "REDIRECTOR_HOSTS",
    "TRACKING_NAMES",
    "TRACKING_PREFIXES",
    "TRACKING_WHEN_FEED",
    "canonical_address",
    "real_address",
    "redirector_link",
    "tracking_parameters",
]


# Query parameters that only tell the outlet where a click came from.
TRACKING_NAMES = frozenset(
    {
        "xtor", "wt_mc", "wt.mc_id", "wt_zmc", "emc", "feedtype", "feedname", "cmpid", "cmp",
        "icid", "ito", "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid",
        "_hsenc", "_hsmi", "mkt_tok", "igshid", "ocid", "ncid", "ref_src", "rss_source",
        "smid", "sr_share", "spm", "__twitter_impression",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "at_", "ns_", "pk_", "mtm_", "hsa_", "itm_")
# Names that track only with a value naming the feed as the channel ("partner=rss").
TRACKING_WHEN_FEED = frozenset({"partner", "ref", "source", "src", "from", "origin", "channel", "fr", "via"})
_FEED_VALUE = re.compile(r"rss|feed|atom|syndication|newsletter", re.I)


def tracking_parameters(link: str) -> list[str]:
    """The tracking parameters of *link* (:data:`TRACKING_NAMES`, :data:`TRACKING_PREFIXES`,
    and :data:`TRACKING_WHEN_FEED` with a feed-like value), as ``name=value``."""
    try:
        query = urlsplit(link).query
    except ValueError:
        return []
    found = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        lowered = name.lower()
        if (
            lowered in TRACKING_NAMES
            or lowered.startswith(TRACKING_PREFIXES)
            or (lowered in TRACKING_WHEN_FEED and _FEED_VALUE.search(value))
        ):
            found.append(f"{name}={value}")
    return found


# Hosts and paths of redirectors: feed proxies, click counters, link shorteners, search
# result links. A link that carries another full address in a parameter is one too.
REDIRECTOR_HOSTS = frozenset(
    {
        "feedproxy.google.com", "feeds.feedburner.com", "feedburner.com", "ads.pheedo.com",
        "rss.feedsportal.com", "da.feedsportal.com", "t.co", "bit.ly", "ow.ly", "buff.ly",
        "dlvr.it", "trib.al", "ift.tt", "lnkd.in", "tinyurl.com", "rss.app",
    }
)  # fmt: skip
_REDIRECTOR_PATHS = (
    re.compile(r"^/~r/"),  # FeedBurner under an outlet's own host (feeds.reuters.com/~r/...)
    re.compile(r"click\.phdo$"),  # Pheedo click counter
    re.compile(r"^/url$"),  # google.com/url?...&url=...
    re.compile(r"^/yandsearch$"),  # news.yandex.ru/yandsearch?cl4url=...
)
_ADDRESS_VALUE = re.compile(r"^(?:https?://|https?%3A|www\.|[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/|%2F))", re.I)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def canonical_address(url: str) -> str:
    """*url* without scheme, ``www.``, tracking parameters, fragment or trailing slash."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    kept = [
        f"{k}={v}"
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not tracking_parameters(f"?{k}={v}")
    ]
    path = parts.path.rstrip("/")
    query = "?" + "&".join(kept) if kept else ""
    return f"{_host(url)}{path}{query}".lower()


def real_address(story: Story) -> str:
    """Where the story itself lives, when the entry says so apart from its link: its
    ``feedburner:origLink``, else a permalink ``<guid>``."""
    origin = story.entry.get("feedburner_origlink")
    if isinstance(origin, str) and origin.startswith(("http://", "https://")):
        return origin
    guid = re.search(r"<guid\b([^>]*)>\s*(?:<!\[CDATA\[)?\s*(https?://[^<\s\]]+)", story.element)
    if guid and not re.search(r"ispermalink\s*=\s*[\"']false", guid.group(1), re.I):
        address = html.unescape(guid.group(2))
        if _redirector_address(address) is None:  # a guid on a redirector (Yandex News') is not it
            return address
    return ""


def _redirector_address(link: str) -> str | None:
    """Why *link* itself is a redirector's address (a known host or path, or another address
    carried in a parameter), or None."""
    host = _host(link)
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if host in REDIRECTOR_HOSTS:
        return f"{host} is a redirector"
    if any(p.search(parts.path) for p in _REDIRECTOR_PATHS):
        return f"{host}{parts.path} is a redirector"
    for name, value in parse_qsl(parts.query):
        if _ADDRESS_VALUE.match(value) and _host(value if "://" in value else "http://" + value) != host:
            return f"the link carries the address in {name}="
    return None


def redirector_link(alert: ShownAlert, story: Story | None = None) -> str | None:
    """Why the alert's link is a redirector rather than the story's address, or None.

    A link is a redirector when its host or path is a known one (:data:`REDIRECTOR_HOSTS`),
    when it carries another address in a parameter, or when the entry names the story's
    real address (origLink, permalink guid) on another host than the link's.
    """
    link = alert.link
    host = _host(link)
    if not host:
        return None
    reason = _redirector_address(link)
    if reason is not None:
        return reason
    if story is not None:
        real = real_address(story)
        if (
            real
            and _host(real)
            and _host(real) != host
            and canonical_address(real) != canonical_address(link)
        ):
            return f"the entry's real address is {real}"
    return None
