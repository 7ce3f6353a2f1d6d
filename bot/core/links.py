"""Links to the story itself: the origin behind a feed's redirector, without tracking.

Feeds often link through a redirector (FeedBurner's ``/~r/`` links, Pheedo's
``click.phdo``, Google's ``/url?url=``) while the entry also names the real address
(``feedburner:origLink``, ``pheedo:origLink``, or a permalink guid); and many links carry
parameters that only tell the outlet the reader came from its feed (``utm_source``,
``at_medium``, ``xtor``, ``partner=rss``...). A reader should see, open and be told the
outlet's own address; and one story reached under two such links is one story.

:func:`story_link` picks the best address an entry offers; :func:`clean_link` removes
tracking from one address; :func:`unwrap_redirect` finds the target a redirector carries in
its own URL. None of them raises, whatever the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMETERS", "clean_link", "is_redirector", "story_link", "unwrap_redirect"]

# Query parameters that only say where a reader came from, by name (compared case-insensitively)
# or by prefix. Each was seen on real feeds' links or is a well-known click identifier.
TRACKING_PARAMETERS = frozenset(
    {
        "xtor", "xtref",  # AT Internet (Le Monde, Le Figaro...)
        "emc", "smid", "smtyp",  # New York Times
        "wt_mc", "wt.mc_id", "wt.mc_ev", "wt.tsrc",  # Webtrends
        "cmpid", "cmp", "ito", "ocid", "ncid",  # campaign ids (BBC, Microsoft, Yahoo, HuffPost)
        "feedtype", "feedname",  # Reuters
        "wprss",  # Washington Post
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
        "rb_clickid", "s_cid", "vero_conv", "vero_id", "spm", "share",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "at_", "ns_", "pk_", "mtm_", "itm_", "ga_", "hmsr", "__twitter")
# Parameters whose value names the feed itself: "partner=rss", "ref=rss", "from=rss_feed".
_FEED_VALUE = re.compile(r"(?i)^(rss|feed|feeds|atom)([_\-.].*)?$")
_FEED_VALUE_NAMES = frozenset({"partner", "ref", "from", "source", "src", "via", "origin", "channel", "r"})

# Redirectors: FeedBurner (any host, its /~r/ paths), Pheedo, Feedsportal, and those whose
# target is in the URL itself: Google's /url (url=, q=), Yandex News' /yandsearch (cl4url=,
# an address without its scheme).
_FEEDBURNER_PATH = re.compile(r"^/~r/")
_REDIRECTOR_HOSTS = frozenset({"feedproxy.google.com", "feeds.feedburner.com", "feedsportal.com"})
_TARGET_PARAMETERS = ("url", "q", "u", "target", "dest", "destination", "cl4url")


def _parts(url: str) -> tuple[str, str, str, str, str] | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def _is_google(host: str) -> bool:
    return host == "google.com" or host.startswith("google.") or host.endswith(".google.com")


def _is_yandex_news(host: str) -> bool:
    return host.startswith("news.yandex.") or (host.startswith("yandex.") and host.count(".") == 1)


def is_redirector(url: str) -> bool:
    """Whether *url* is a feed redirector's link rather than the story's own address."""
    parts = _parts(url)
    if parts is None:
        return False
    host = _host(url)
    path = parts[2]
    return bool(
        _FEEDBURNER_PATH.match(path)
        or host in _REDIRECTOR_HOSTS
        or any(host.endswith("." + known) for known in _REDIRECTOR_HOSTS)
        or "click.phdo" in path
        or (_is_google(host) and path in ("/url", "/link"))
        or (_is_yandex_news(host) and path in ("/yandsearch", "/story"))
    )


def unwrap_redirect(url: str) -> str | None:
    """The address a redirector carries in its own URL (``google.com/url?url=…``), or None."""
    parts = _parts(url)
    if parts is None or not is_redirector(url):
        return None
    for name, value in parse_qsl(parts[3], keep_blank_values=False):
        if name.lower() not in _TARGET_PARAMETERS:
            continue
        if name.lower() == "cl4url" and "://" not in value:
            value = "http://" + value  # the outlet's own address: its site sends it on to https
        if _parts(value) is not None and not is_redirector(value):
            return value
    return None


def _is_tracking(name: str, value: str) -> bool:
    lowered = name.lower()
    return (
        lowered in TRACKING_PARAMETERS
        or lowered.startswith(TRACKING_PREFIXES)
        or (lowered in _FEED_VALUE_NAMES and bool(_FEED_VALUE.match(value)))
    )


def clean_link(url: str) -> str:
    """*url* without tracking parameters (the others keep their order and spelling);
    a redirector's link is unwrapped when it carries its target. Not an http(s) URL: ""."""
    unwrapped = unwrap_redirect(url)
    if unwrapped is not None:
        url = unwrapped
    parts = _parts(url)
    if parts is None:
        return ""
    scheme, netloc, path, query, fragment = parts
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(name, value) for name, value in pairs if not _is_tracking(name, value)]
        if len(kept) != len(pairs):
            query = urlencode(kept, doseq=True)
    if fragment.lower().startswith(("xtor=", "utm_", "at_")):
        fragment = ""
    return urlunsplit((scheme, netloc, path, query, fragment))


def story_link(
    link: str, *, origins: Iterable[str] = (), guid: str = "", guid_is_permalink: bool = False
) -> str:
    """The address to show for an entry: its ``link``, unless that is a redirector and the
    entry names the story's own address (an origLink, or a guid that is a permalink),
    cleaned of tracking parameters. "" when the entry has no usable address."""
    candidates = [link]
    if not link or is_redirector(link):
        candidates = [*origins, *([guid] if guid_is_permalink or _parts(guid) else []), link]
    for candidate in candidates:
        if candidate and _parts(candidate) is not None and not is_redirector(candidate):
            return clean_link(candidate)
    for candidate in candidates:  # only redirectors: one that carries its target, else as is
        cleaned = clean_link(candidate) if candidate else ""
        if cleaned:
            return cleaned
    return ""
