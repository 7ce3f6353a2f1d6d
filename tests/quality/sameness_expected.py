"""A reader's judgement of the real corpus's story merges: which pairs are one story, which not.

Items are named by feed and key (the guid, else the link). :data:`SAME` lists every merge
the rules make on the corpus, each read and judged right; :data:`NOT_SAME` lists the pairs
that come closest to merging (near-identical text, similar titles, the same event) and
that a reader judges to be different stories, so the rules must keep them apart. A merge
that is in neither list is a new one, to be read and judged here
(``python -m tests.quality.sameness_report`` lists them); a merge of a pair in
:data:`NOT_SAME` is a wrong one. ``tests/quality/test_sameness_corpus.py`` checks both.

How the close calls were found: every pair of corpus items whose texts share at least a
fifth of their word 3-shingles, whose titles share half of their words, or that have the
same link or title (146 pairs) was read; those below are the ones a rule could take for
one story, and the reason each is not.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NOT_SAME", "SAME", "ItemRef", "Judged"]

ItemRef = tuple[str, str]  # (feed name, item key)


@dataclass(frozen=True, slots=True)
class Judged:
    a: ItemRef
    b: ItemRef
    why: str


_GEEKPARK = "http://www.geekpark.net/news/"
_RG_FIRE = "sk-vozbudil-delo-po-faktu-pozhara-v-moskovskoj-gostinice.html"
_ALERT = "tag:google.com,2013:googlealerts/feed:"
_SIXAPART = "http://www.sixapart.jp/jobs/2005/09/"
_YANDEX = "https://news.yandex.ru/yandsearch?cl4url="
_FOLHA = "https://www1.folha.uol.com.br/poder/2018/09/match-eleitoral-ja-soma-mais-de-500-mil-testes-completos-ache-seu-candidato.shtml"


def _wapo(path: str) -> ItemRef:
    return (
        "The Washington Post",
        f"http://www.washingtonpost.com/local/{path}_story.html?wprss=rss_wellness",
    )


SAME = (
    Judged(
        ("UOL Notícias", _FOLHA),
        ("UOL Notícias", "https://redir.folha.com.br/redir/online/poder/eleicoes-2018/rss091/*" + _FOLHA),
        "one Folha story (Match Eleitoral, 500 mil testes) listed twice, once behind Folha's "
        "redirector and without its text: the same title",
    ),
)

NOT_SAME = (
    Judged(
        ("GeekPark", _GEEKPARK + "271140"),
        ("GeekPark", _GEEKPARK + "270654"),
        "GeekPark's awards series, earbuds (OPPO Enco X) and smartwatch (vivo WATCH): the same "
        "blurb word for word and no number to tell them apart, only the titles' ends differ",
    ),
    Judged(
        ("GeekPark", _GEEKPARK + "271140"),
        ("GeekPark", _GEEKPARK + "270778"),
        "GeekPark's awards series, two kinds of earbuds (OPPO, Sony): the same blurb, titles "
        "that share half their words",
    ),
    Judged(
        ("GeekPark", _GEEKPARK + "270778"),
        ("GeekPark", _GEEKPARK + "270992"),
        "GeekPark's awards series, earbuds and a games console, both by Sony: the same blurb",
    ),
    Judged(
        ("GeekPark", _GEEKPARK + "270778"),
        ("GeekPark", _GEEKPARK + "270654"),
        "GeekPark's awards series, earbuds (Sony) and a smartwatch (vivo): the same blurb",
    ),
    Judged(
        ("GeekPark", _GEEKPARK + "271140"),
        ("GeekPark", _GEEKPARK + "270987"),
        "GeekPark's awards series, earbuds (OPPO) and a drone (DJI Mavic Air 2): the same blurb",
    ),
    Judged(
        ("GeekPark", _GEEKPARK + "271140"),
        ("GeekPark", _GEEKPARK + "270992"),
        "GeekPark's awards series, earbuds (OPPO) and a games console (Sony PS5): the same blurb",
    ),
    Judged(
        ("kc0011", "http://www.kc0011.net/dispbbs.asp?BoardID=10&ID=25164174&Page=1"),
        ("kc0011", "http://www.kc0011.net/dispbbs.asp?BoardID=10&ID=25164124&Page=1"),
        "two forum posts of one seller on January 10th offering different coin cards",
    ),
    Judged(
        ("GeekPark", _GEEKPARK + "271045"),
        ("GeekPark", _GEEKPARK + "271041"),
        "an analysis of JD's investment in Xingsheng, and a morning briefing whose first item is that news",
    ),
    Judged(
        _wapo("dc-wellness-calendar-aug-16-23/2012/08/13/1e64b600-e175-11e1-98e7-89d659f9c106"),
        _wapo("dc-wellness-calendar-aug-9-16/2012/08/06/a0d8b4d4-ddaf-11e1-af1d-753c613ff6d8"),
        "a weekly calendar, two weeks (Aug. 16-23, Aug. 9-16): texts 71% alike, told apart by their dates",
    ),
    Judged(
        _wapo("prince-william-county-wellness-calendar-aug-23-30/2012/08/16/f3f16378-e345-11e1-89f7-76e23a982d06"),
        _wapo("prince-william-county-wellness-calendar-aug-16-23/2012/08/13/4cc1fcc6-dfd9-11e1-8d48-2b1243f34c85"),
        "a weekly calendar for one county, two weeks",
    ),
    Judged(
        ("The Washington Post", "cc0c5fb09865354bbec8415210a554da"),
        ("The Washington Post", "f82398780695d62bc58431bab2672902"),
        "two advertisements with one title, 'Featured Advertiser', and no text or link",
    ),
    Judged(
        ("The Washington Post", "cc0c5fb09865354bbec8415210a554da"),
        ("The Washington Post", "cf99c97abbdf1571a156a080ab88ad94"),
        "two advertisements with one title, 'Featured Advertiser', and no text or link",
    ),
    Judged(
        ("Google Alerts", _ALERT + "16151843349267390757"),
        ("Google Alerts", _ALERT + "10850208843585695355"),
        "a content farm's template, one insider's two sales (1,500 shares on July 5th, 99,342 on June 21st)",
    ),
    Judged(
        ("Google Alerts", _ALERT + "16151843349267390757"),
        ("Google Alerts", _ALERT + "443267995170339225"),
        "the same insider selling 1,500 shares twice: on July 5th, and on June 28th",
    ),
    Judged(
        ("Google Alerts", _ALERT + "16967451403322814502"),
        ("Google Alerts", _ALERT + "13952751448219995557"),
        "the CEO's two sales ($53,170,714.63 on June 21st, $91,750.00 on June 28th)",
    ),
    Judged(
        ("Six Apart Japan", _SIXAPART + "13-0007.html"),
        ("Six Apart Japan", _SIXAPART + "13-0004.html"),
        "two job offers, a Movable Type engineer and a TypePad engineer: the same text but the product",
    ),
    Judged(
        ("Six Apart Japan", _SIXAPART + "13-0002.html"),
        ("Six Apart Japan", _SIXAPART + "13-0001.html"),
        "two part-time job offers, marketing and development assistants: texts 68% alike",
    ),
    Judged(
        ("GitHub releases", "tag:github.com,2008:Repository/90976281/0.1.0"),
        ("GitHub releases", "tag:github.com,2008:Repository/90976281/0.1.1"),
        "two releases, 0.1.0 and 0.1.1: the same digits in another order",
    ),
    Judged(
        ("The Guardian", "https://www.theguardian.com/us-news/video/2018/jan/31/stormy-daniels-jimmy-kimmel-porn-actor-doubt-denial-trump-affair-video"),
        ("The Guardian", "https://www.theguardian.com/us-news/2018/jan/30/adult-film-star-stormy-daniels-issues-new-denial-of-affair-with-trump"),
        "one outlet's video and article on one event, each with its own text",
    ),
    Judged(
        ("Reuters", "http://www.reuters.com/article/us-ivorycoast-military-abidjan-idUSKBN14R08F?feedType=RSS&feedName=worldNews"),
        ("Reuters", "http://www.reuters.com/article/us-ivorycoast-military-idUSKBN14R04L?feedType=RSS&feedName=worldNews"),
        "two Reuters stories on the army revolt in Ivory Coast, hours apart",
    ),
    Judged(
        ("Yandex.News Moscow", _YANDEX + "rg.ru%2F2017%2F01%2F07%2Freg-cfo%2F" + _RG_FIRE),
        ("Yandex.News Moscow", _YANDEX + "360tv.ru%2Fnews%2Ftri-zhertvy-86833%2F"),
        "two outlets on the Moscow hotel fire: the inquiry opened, the death toll rising to three",
    ),
    Judged(
        ("Yandex.News Moscow", _YANDEX + "360tv.ru%2Fnews%2Ftri-zhertvy-86833%2F"),
        ("Yandex.News Moscow", _YANDEX + "www.dni.ru%2Fnews%2F2017%2F1%2F7%2F357934.html"),
        "two outlets on the Moscow hotel fire: the death toll, a video of the fire",
    ),
    Judged(
        ("The New York Times", "http://www.nytimes.com/2017/01/06/us/politics/trump-wall-mexico.html"),
        ("Reuters", "http://www.reuters.com/article/us-usa-trump-mexico-wall-idUSKBN14Q1B9?feedType=RSS&feedName=worldNews"),
        "the New York Times and Reuters each on Trump saying Mexico will pay for the wall: one event, "
        "two outlets' own stories",
    ),
    Judged(
        ("The New York Times", "http://www.nytimes.com/2017/01/06/us/politics/donald-trump-wall-hack-russia.html"),
        ("Le Monde", "http://www.lemonde.fr/tiny/5059121/"),
        "the New York Times and Le Monde on the report that Putin ordered the hacking: one event, "
        "two languages",
    ),
    Judged(
        ("ORF", "http://orf.at/stories/2376343/"),
        ("ORF", "http://orf.at/stories/2376346/"),
        "ORF on the US leaving TPP, then on Trump signing the decree: no text, titles that share "
        "only 'TPP' and 'aus'",
    ),
    Judged(
        ("ORF", "http://orf.at/stories/2376309/"),
        ("ORF", "http://orf.at/stories/2376346/"),
        "ORF on Trump's plan to leave TPP and renegotiate NAFTA, then on the decree signed",
    ),
    Judged(
        ("UOL Notícias", "https://noticias.uol.com.br/politica/eleicoes/2018/noticias/2018/09/24/ibope-bolsonaro-perde-de-haddad-ciro-e-alckmin-em-simulacoes-de-2-turno.htm"),
        ("UOL Notícias", "https://congressoemfoco.uol.com.br/eleicoes/ibope-bolsonaro-estaciona-na-lideranca-haddad-segue-avancando/"),
        "two outlets on one Ibope poll: the second-round simulations, the first-round standings",
    ),
    Judged(
        ("YouTube", "yt:video:xfFHnBQ6nQg"),
        ("YouTube", "yt:video:faacIELjUeI"),
        "two Project Fi videos with the same closing line",
    ),
)  # fmt: skip
