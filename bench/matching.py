"""Benchmark: matching news items against 1,000 / 10,000 / 100,000 subscriptions.

    pip install -e '.[bench]'
    python bench/matching.py                  # every load, all sizes (about ten minutes)
    python bench/matching.py --load plain --sizes 1000,10000 --items 500   # a quick look
    python bench/matching.py --load plain,cjk --sizes 10000,100000         # two of the loads

Items and subscriptions come from real English word frequencies (the wordfreq package,
built from news, Wikipedia, books, subtitles and the web; 75,000 words) plus regional names
in Latin script with diacritics and in Arabic script:

* an item has 50-400 words drawn at their real frequency (about half are function words),
  a regional name for 0.3% of them; its first 6-12 words are the title;
* a subscription is a single word (55%), 2-3 words, a phrase, an OR of 2-3 words, a word
  with an exclusion, a prefix or a source: scope, over topic words and, for 2%, regional
  names. Two loads differ in how topic words are chosen:
  - plain: any word of the vocabulary beyond the 150 function words, alike;
  - popular: a frequency rank log-uniform between 500 and 60,000, so popular topics are
    followed more. The ranks of 42 typical subscriptions of this bot's users (from
    "water" at 265 and "oil" at 797 to "census" at 5,106 and "Erbil" at 53,605) have a
    median of 5,545, close to that distribution's 5,477. Many more items match.

A third load, cjk, is news written without spaces: items in Chinese (70%) and Japanese
(30%), their words drawn at their real frequency (wordfreq's Chinese and Japanese lists,
segmented by jieba and MeCab) and written one after the other, with a Latin word or a
number for 2% of them; sentences end in "，" or "。". Subscriptions have the same shapes,
over Chinese and Japanese topic words of at least two characters (ranks log-uniform like
the popular load), and for 2% a regional name. Item lengths are in characters there.

Before indexing, the matcher observes 300 other items, as the bot does with its recent
items at start, so it files each query under its rarest word. For each size the table
gives the time to parse and index the queries, the peak memory of the index (tracemalloc),
items matched per second on one core (turning each item into words included; best of
three passes), the matches found, the cost of adding and removing one subscription, and
the naive reference (every query tested on every item, word by word) on a sample of
items, with the speed-up. Both must find the same matches on that sample.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.matcher import Document, Matcher
from bot.core.query import Query, QueryError, source_label
from bot.core.query_parser import parse_query
from bot.core.reference import ReferenceMatcher

try:
    import wordfreq
except ImportError:  # pragma: no cover
    sys.exit("this benchmark needs wordfreq: pip install -e '.[bench]'")

VOCABULARY_SIZE = 80_000
FUNCTION_WORDS = 150
# Subscriptions are to words whose frequency rank is log-uniform between these: the ranks of
# 42 typical subscriptions of this bot's users (census, conflict, oil, Erbil, Peshmerga...)
# have a median of about 5,500, the geometric mean of the two.
TOPIC_RANKS = (500, 60_000)
NAME_SHARE_IN_ITEMS = 0.003
NAME_SHARE_IN_QUERIES = 0.02
WARM_UP_ITEMS = 300
PASSES = 3
REGIONAL = [
    "Makhmour", "Makhmūr", "Mexmûr", "Erbil", "Hewlêr", "Duhok", "Sulaimani", "Silêmanî", "Kirkuk",
    "Mosul", "Sinjar", "Qarachogh", "Peshmerga", "Kurdistan", "Baghdad", "Basra", "Halabja", "Zakho",
    "أربيل", "كوردستان", "الموصل", "مخمور", "السليمانية", "کەرکووک",
]  # fmt: skip
# Characters of Han and kana runs: the words of the cjk load are made of these only.
CJK_WORD = re.compile(
    r"[\u3005\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+"
)
CJK_SHARE_ZH = 0.7
CJK_LATIN_SHARE = 0.02
FEEDS = [source_label(name, host) for name, host in [
    ("Rudaw English", "www.rudaw.net"), ("Kurdistan24", "www.kurdistan24.net"),
    ("BBC World", "feeds.bbci.co.uk"), ("Al Jazeera English", "www.aljazeera.com"),
]]  # fmt: skip


@dataclass(frozen=True)
class Load:
    items: list[tuple[str, str, str]]  # (title, summary, source label)
    queries: list[Query]
    warm_up: list[tuple[str, str, str]]  # items the matcher sees before the queries are added


def new_matcher(load: Load) -> Matcher[int]:
    matcher: Matcher[int] = Matcher()
    for title, summary, source in load.warm_up:
        matcher.observe(Document.from_text(title, summary, source=source))
    return matcher


def _vocabulary(lang: str) -> tuple[list[str], list[float]]:
    """The words of *lang* in wordfreq's list, most frequent first, with cumulative weights."""
    if lang == "en":
        words = [w for w in wordfreq.top_n_list("en", VOCABULARY_SIZE) if re.fullmatch(r"[a-z]+", w)]
        frequencies = [wordfreq.word_frequency(w, "en") for w in words]
    else:  # frequencies straight from the list: looking words up would need jieba or MeCab
        listed = wordfreq.get_frequency_dict(lang)
        ranked = sorted(listed.items(), key=lambda kv: -kv[1])
        pairs = [(w, f) for w, f in ranked if CJK_WORD.fullmatch(w)][:VOCABULARY_SIZE]
        words, frequencies = [w for w, _ in pairs], [f for _, f in pairs]
    return words, list(itertools.accumulate(frequencies))


def make_load(item_count: int, query_count: int, seed: int, kind: str = "popular") -> Load:
    """Items and queries as the module docstring describes; *kind* is plain, popular or cjk."""
    rng = random.Random(seed)
    words, by_frequency = _vocabulary("en")
    languages = {"en": (words, by_frequency)}
    if kind == "cjk":
        languages["zh"] = _vocabulary("zh")
        languages["ja"] = _vocabulary("ja")
    low, high = math.log(TOPIC_RANKS[0]), math.log(min(TOPIC_RANKS[1], len(words) - 1))

    def item() -> tuple[str, str, str]:
        if kind == "cjk":
            return cjk_item()
        tokens = rng.choices(words, cum_weights=by_frequency, k=rng.randint(50, 400))
        tokens = [rng.choice(REGIONAL) if rng.random() < NAME_SHARE_IN_ITEMS else t for t in tokens]
        sentences, start = [], 0
        while start < len(tokens):
            end = start + (rng.randint(6, 12) if start == 0 else rng.randint(8, 25))
            text = " ".join(tokens[start:end])
            sentences.append(text[0].upper() + text[1:] + rng.choice([".", ".", ",", ";", "!"]))
            start = end
        return sentences[0], " ".join(sentences[1:]), rng.choice(FEEDS)

    def cjk_item() -> tuple[str, str, str]:
        vocabulary, weights = languages["zh" if rng.random() < CJK_SHARE_ZH else "ja"]
        tokens = rng.choices(vocabulary, cum_weights=weights, k=rng.randint(50, 250))
        for n in range(len(tokens)):
            if rng.random() < CJK_LATIN_SHARE:
                tokens[n] = rng.choice([str(rng.randint(1, 2030)), rng.choice(words[:5000]), "iPhone"])
            elif rng.random() < NAME_SHARE_IN_ITEMS:
                tokens[n] = rng.choice(REGIONAL)
        sentences, start = [], 0
        while start < len(tokens):
            end = start + (rng.randint(6, 12) if start == 0 else rng.randint(8, 25))
            sentences.append("".join(tokens[start:end]) + rng.choice(["，", "。", "。"]))
            start = end
        return sentences[0], "".join(sentences[1:]), rng.choice(FEEDS)

    language = ["zh"]  # of the query being made, in the cjk load

    def topic() -> str:
        if rng.random() < NAME_SHARE_IN_QUERIES:
            return rng.choice(REGIONAL)
        if kind == "plain":
            return words[rng.randrange(FUNCTION_WORDS, len(words))]
        if kind == "cjk":
            vocabulary, _ = languages[language[0]]
            top = math.log(min(TOPIC_RANKS[1], len(vocabulary) - 1))
            while True:
                word = vocabulary[int(math.exp(rng.uniform(low, top)))]
                if len(word) >= 2:
                    return word
        return words[int(math.exp(rng.uniform(low, high)))]

    def follower() -> str:
        """A word that may follow a topic in a phrase."""
        if kind == "cjk":
            vocabulary, weights = languages[language[0]]
            return rng.choices(vocabulary, cum_weights=weights)[0]
        return rng.choices(words, cum_weights=by_frequency)[0]

    def query() -> str:
        if kind == "cjk":
            language[0] = "zh" if rng.random() < CJK_SHARE_ZH else "ja"
        shape = rng.random()
        if kind == "cjk" and 0.73 <= shape < 0.80:  # written without a space, as the language is
            return f'"{topic()}{follower()}"'
        if shape < 0.55:
            return topic()
        if shape < 0.73:
            return " ".join(topic() for _ in range(rng.randint(2, 3)))
        if shape < 0.80:  # a topic and a word that may follow it
            return f'"{topic()} {follower()}"'
        if shape < 0.88:
            alternatives = " OR ".join(topic() for _ in range(rng.randint(2, 3)))
            return alternatives + (f" {topic()}" if rng.random() < 0.5 else "")
        if shape < 0.94:
            return f"{topic()} -{topic()}"
        if shape < 0.98:
            stem = topic()
            return stem[: max(4, len(stem) - 3)] + "*"
        return f"source:{rng.choice(['rudaw', 'bbc', 'kurdistan24'])} {topic()}"

    items = [item() for _ in range(item_count + WARM_UP_ITEMS)]
    queries = []
    while len(queries) < query_count:
        try:
            queries.append(parse_query(query()))
        except QueryError:
            continue
    return Load(items[WARM_UP_ITEMS:], queries, items[:WARM_UP_ITEMS])


def length_of(kind: str, title: str, summary: str) -> int:
    """An item's length: in words, or in characters for the cjk load."""
    return len(title) + len(summary) if kind == "cjk" else len(title.split()) + len(summary.split())


@dataclass
class Row:
    size: int
    build_seconds: float
    peak_mb: float
    items_per_second: float
    microseconds_per_item: float
    matches_per_item: float
    add_remove_microseconds: float
    naive_items_per_second: float
    naive_sample: int
    agree: bool


def measure(load: Load, size: int, naive_items: int) -> Row:
    gc.collect()
    started = time.perf_counter()
    matcher = new_matcher(load)
    matcher.add_all((i, parse_query(q.text)) for i, q in enumerate(load.queries[:size]))
    build = time.perf_counter() - started
    parsed = list(enumerate(load.queries[:size]))

    elapsed = float("inf")
    for _ in range(PASSES):  # the best pass: the others were slowed by something else
        gc.collect()
        started = time.perf_counter()
        found = [matcher.match(Document.from_text(t, s, source=src)) for t, s, src in load.items]
        elapsed = min(elapsed, time.perf_counter() - started)
    matches = sum(len(f) for f in found)

    extra = parse_query("Qarachogh OR Makhmour census")
    started = time.perf_counter()
    for n in range(1000):
        matcher.add(-1 - n, extra)
    for n in range(1000):
        matcher.remove(-1 - n)
    add_remove = (time.perf_counter() - started) / 1000 * 1e6

    gc.collect()
    tracemalloc.start()
    probe = new_matcher(load)
    probe.add_all((i, parse_query(q.text)) for i, q in enumerate(load.queries[:size]))
    for t, s, src in load.items[:200]:
        probe.match(Document.from_text(t, s, source=src))
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    del probe

    reference = ReferenceMatcher(parsed)
    sample = load.items[:naive_items]
    started = time.perf_counter()
    naive_found = [reference.match([t, s], src) for t, s, src in sample]
    naive_elapsed = time.perf_counter() - started
    return Row(
        size=size,
        build_seconds=build,
        peak_mb=peak,
        items_per_second=len(load.items) / elapsed,
        microseconds_per_item=elapsed / len(load.items) * 1e6,
        matches_per_item=matches / len(load.items),
        add_remove_microseconds=add_remove,
        naive_items_per_second=len(sample) / naive_elapsed,
        naive_sample=len(sample),
        agree=naive_found == [set(f) for f in found[: len(sample)]],
    )


def by_length(load: Load, size: int, kind: str) -> list[tuple[str, float, float]]:
    """Median µs per item and mean matches per item by item length, at *size* subscriptions
    (after a first pass, so every item is timed on a warm index)."""
    matcher = new_matcher(load)
    matcher.add_all((i, q) for i, q in enumerate(load.queries[:size]))
    for title, summary, source in load.items:
        matcher.match(Document.from_text(title, summary, source=source))
    buckets: dict[str, list[tuple[float, int]]] = {}
    for title, summary, source in load.items:
        length = length_of(kind, title, summary)
        if kind == "cjk":
            label = "50-250" if length < 250 else "250-400" if length < 400 else "400-700"
        else:
            label = "50-150" if length < 150 else "150-250" if length < 250 else "250-400"
        started = time.perf_counter()
        found = matcher.match(Document.from_text(title, summary, source=source))
        buckets.setdefault(label, []).append(((time.perf_counter() - started) * 1e6, len(found)))
    return [
        (label, statistics.median(t for t, _ in rows), statistics.mean(m for _, m in rows))
        for label, rows in sorted(buckets.items(), key=lambda kv: int(kv[0].split("-")[0]))
    ]


def report(kind: str, sizes: list[int], items: int, naive_items: int, seed: int) -> None:
    load = make_load(items, max(sizes), seed, kind)
    lengths = [length_of(kind, t, s) for t, s, _ in load.items]
    unit = "characters" if kind == "cjk" else "words"
    print(
        f"### {kind} load: {len(load.items)} items of {min(lengths)}-{max(lengths)} {unit} "
        f"(mean {statistics.mean(lengths):.0f}); Python {sys.version.split()[0]}, one core\n"
    )
    print(
        "| subscriptions | parse + index (s) | index peak (MB) | items/s | µs/item | matches/item "
        "| add+remove one (µs) | naive items/s | speed-up |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        row = measure(load, size, naive_items)
        check = "" if row.agree else " (DISAGREE)"
        speed_up = row.items_per_second / row.naive_items_per_second
        cells = [
            f"{row.size:,}", f"{row.build_seconds:.2f}", f"{row.peak_mb:.0f}",
            f"{row.items_per_second:,.0f}", f"{row.microseconds_per_item:.0f}", f"{row.matches_per_item:.1f}",
            f"{row.add_remove_microseconds:.1f}", f"{row.naive_items_per_second:,.1f}",
            f"{speed_up:,.0f}×{check}",
        ]  # fmt: skip
        print("| " + " | ".join(cells) + " |", flush=True)
    print(f"\nBy item length, {kind} load, at {max(sizes):,} subscriptions:\n")
    print(f"| {unit} | median µs/item | matches/item |\n|---|---:|---:|")
    for label, micros, found in by_length(load, max(sizes), kind):
        print(f"| {label} | {micros:.0f} | {found:.1f} |")
    print(flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--load", default="all", help="plain, popular, cjk, a comma-separated list of them, or all"
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--naive-items", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    kinds = ("plain", "popular", "cjk") if args.load == "all" else tuple(args.load.split(","))
    if not set(kinds) <= {"plain", "popular", "cjk"}:
        parser.error(f"unknown load in {args.load!r}: give plain, popular, cjk or all")
    for kind in kinds:
        report(kind, sizes, args.items, args.naive_items, args.seed)


if __name__ == "__main__":
    main()
