"""The core stays pure and the services stay free of any framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
EDGE_LIBRARIES = {
    "telegram", "tinydb", "httpx", "feedparser", "apscheduler", "tornado", "psycopg", "psycopg_pool",
}  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", ["core", "service"])
def test_inner_layers_import_no_edge_library(layer: str):
    offenders = {
        str(path.relative_to(BOT)): sorted(imported_modules(path) & EDGE_LIBRARIES)
        for path in (BOT / layer).rglob("*.py")
        if imported_modules(path) & EDGE_LIBRARIES
    }
    assert offenders == {}


def test_core_does_not_depend_on_outer_layers():
    for path in (BOT / "core").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "bot.service" not in source and "bot.adapters" not in source, path


def test_only_the_tinydb_sink_imports_tinydb():
    users = [p.relative_to(BOT).as_posix() for p in BOT.rglob("*.py") if "tinydb" in imported_modules(p)]
    assert users == ["adapters/storage/tinydb_files.py"]


def test_the_repositories_do_not_know_which_database_keeps_them():
    """Repositories work on documents; only the sinks know TinyDB or PostgreSQL."""
    storage = BOT / "adapters" / "storage"
    sinks = {"tinydb_files.py", "database.py", "store_migration.py", "shared_database.py"}
    for path in storage.glob("*.py"):
        if path.name not in sinks and not path.name.startswith(("postgres_", "leadership")):
            assert not imported_modules(path) & {"tinydb", "psycopg", "psycopg_pool"}, path
            assert "import tinydb_files" not in path.read_text(encoding="utf-8"), path
            assert "storage.tinydb_files import" not in path.read_text(encoding="utf-8"), path


def reads_environment(path: Path) -> bool:
    return any(
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
        and node.attr in {"environ", "getenv", "environb"}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


def test_only_the_composition_root_reads_the_environment():
    readers = [p.relative_to(BOT).as_posix() for p in BOT.rglob("*.py") if reads_environment(p)]
    assert readers == ["__main__.py"], (
        "the composition root passes os.environ to settings; nobody else reads it"
    )


TAGS = ("<b>", "</b>", "<i>", "</i>", "<u>", "<s>", "<code>", "</code>", "<pre", "<a ", "</a>",
        "<blockquote", "<tg-")  # fmt: skip
GETTEXT = {"_", "N_", "ngettext", "pgettext", "npgettext"}
# The console reads HTML to draw it in a terminal; it writes none.
READS_HTML = {"adapters/console.py"}


def markup_in_code(path: Path) -> list[str]:
    """The strings of *path* that hold Telegram tags, but for docstrings and translated
    sentences (whose tags the translators place)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT:
            allowed.update(id(inner) for argument in node.args for inner in ast.walk(argument))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # a docstring
            allowed.add(id(node.value))
    return [
        f"line {node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in allowed
        and any(tag in node.value for tag in TAGS)
    ]


def test_services_and_edges_write_no_markup_of_their_own():
    """HTML is written by bot/core/formatting.py and its helpers in bot/core/markup.py;
    the services and the edges put values into translated sentences through them."""
    paths = [*(BOT / "service").rglob("*.py"), *(BOT / "adapters").rglob("*.py")]
    offenders = {
        path.relative_to(BOT).as_posix(): markup_in_code(path)
        for path in paths
        if path.relative_to(BOT).as_posix() not in READS_HTML and markup_in_code(path)
    }
    assert offenders == {}
