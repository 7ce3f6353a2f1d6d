"""The pieces of HTML the services put into translated sentences: a value from a feed or a
user is escaped, and in a right-to-left message isolated, so it keeps its own direction."""

from __future__ import annotations

from bot.core.formatting import to_plain_text
from bot.core.language import speaking
from bot.core.markup import code, in_bold, in_code, in_italics, inline

FSI, PDI = "\u2068", "\u2069"
HOSTILE = 'Rudaw <b>"& co"</b>'


def test_a_value_is_escaped_and_reads_back_as_written():
    with speaking("en"):
        assert inline(HOSTILE) == "Rudaw &lt;b&gt;&quot;&amp; co&quot;&lt;/b&gt;"
        assert code(HOSTILE) == f"<code>{inline(HOSTILE)}</code>"
    assert to_plain_text(code(HOSTILE)) == HOSTILE


def test_in_a_right_to_left_message_a_value_is_isolated_with_its_code():
    with speaking("ckb"):
        assert inline("Rudaw") == f"{FSI}Rudaw{PDI}"
        assert code("census") == f"{FSI}<code>census</code>{PDI}"
        assert in_code(inline("census")) == f"<code>{FSI}census{PDI}</code>"
        assert inline("") == "", "nothing to isolate"


def test_tags_go_around_markup_as_it_is():
    assert in_bold("<i>x</i>") == "<b><i>x</i></b>"
    assert in_italics("a &amp; b") == "<i>a &amp; b</i>"
