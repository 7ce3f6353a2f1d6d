"""The message catalogues: complete, faithful to their English, and in step with the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.core.language import LANGUAGES, _, format_time, ngettext, speaking

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "bot" / "locales"
TRANSLATED = [code for code in LANGUAGES if code != "en"]

PLACEHOLDER = re.compile(r"\{(\w*)\}")
TAG = re.compile(r"</?[a-z]+[^>]*>")
COMMAND = re.compile(r"(?<![\w/])/[a-z_]{3,}\b")


def catalogue(code: str) -> Catalog:
    with (LOCALES / code / "LC_MESSAGES" / "newsbot.po").open("rb") as file:
        return read_po(file, locale=code)


def template() -> Catalog:
    with (LOCALES / "newsbot.pot").open("rb") as file:
        return read_po(file)


def forms(message: object) -> list[str]:
    return list(message) if isinstance(message, (list, tuple)) else [str(message)]


def test_the_template_is_what_the_code_says(tmp_path: Path):
    """Every marked text is in the template, and the template has nothing the code lost:
    `pybabel extract` (the README's command) gives the same messages."""
    fresh = tmp_path / "fresh.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
               "-k", "pgettext:1c,2", "-c", "Translators:", "--no-location", "--sort-output",
               "-o", str(fresh), "bot"]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True)
    with fresh.open("rb") as file:
        extracted = {forms(message.id)[0] for message in read_po(file)}
    stored = {forms(message.id)[0] for message in template()}
    extracted.discard("")
    stored.discard("")
    assert sorted(extracted - stored) == [], "run the README's extract command"
    assert sorted(stored - extracted) == [], "run the README's extract command"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders_tags_and_commands(code: str):
    po = catalogue(code)
    expected = {m.id if isinstance(m.id, str) else m.id[0] for m in template() if m.id}
    nplurals = Locale.parse(code).plural_form.tags | {"other"}  # CLDR's plural categories
    problems: list[str] = []
    have: set[str] = set()
    for message in po:
        if not message.id:
            continue
        english = forms(message.id)
        have.add(english[0])
        translations = forms(message.string)
        if message.fuzzy or not all(t.strip() for t in translations):
            problems.append(f"untranslated: {english[0]!r}")
            continue
        if isinstance(message.id, (list, tuple)) and len(translations) != po.num_plurals:
            problems.append(f"{len(translations)} plural forms, not {po.num_plurals}: {english[0]!r}")
        wanted_places = set(PLACEHOLDER.findall(" ".join(english)))
        wanted_tags = sorted(TAG.findall(english[0]))
        wanted_commands = sorted(set(COMMAND.findall(english[0])))
        for translation in translations:
            if set(PLACEHOLDER.findall(translation)) - wanted_places:
                problems.append(f"unknown placeholder in {translation!r}")
            singular = not isinstance(message.id, (list, tuple))
            if singular and set(PLACEHOLDER.findall(translation)) != wanted_places:
                problems.append(f"placeholders differ: {english[0]!r} -> {translation!r}")
            if sorted(TAG.findall(translation)) != wanted_tags:
                problems.append(f"HTML tags differ: {english[0]!r} -> {translation!r}")
            if sorted(set(COMMAND.findall(translation))) != wanted_commands:
                problems.append(f"commands differ: {english[0]!r} -> {translation!r}")
    problems += [f"missing: {m!r}" for m in sorted(expected - have)]
    assert len(nplurals) == po.num_plurals, "the catalogue's Plural-Forms follow CLDR"
    assert problems == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_plural_forms_are_the_languages_own(code: str):
    po = catalogue(code)
    plural = Locale.parse(code).plural_form
    assert po.num_plurals == len(plural.tags | {"other"})
    plurals = [m for m in po if m.id and isinstance(m.id, (list, tuple))]
    assert plurals, "counts are translated with ngettext"
    with speaking(code):
        for n in (0, 1, 2, 3, 11, 100, 101):
            text = ngettext(plurals[0].id[0], plurals[0].id[1], n)
            assert text.strip() and text != plurals[0].id[1]


def test_dates_follow_the_language():
    from datetime import UTC, datetime

    moment = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    with speaking("en"):
        assert format_time(moment, UTC) == "05 Jan 2026, 08:30"
    with speaking("ar"):
        assert "كانون الثاني" in format_time(moment, UTC), "Iraq's month names"
    with speaking("ckb"):
        assert "کانوونی دووەم" in format_time(moment, UTC)
        assert "کانوونی یەکەم" in format_time(datetime(2026, 12, 1, tzinfo=UTC), UTC), "CLDR has کانونی"
    assert _("{date}, {time}") == "{date}, {time}"
