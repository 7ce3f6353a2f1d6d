"""Settings: defaults, the settings file, environment overrides, and the feeds file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.settings import (
    BUNDLED,
    SAMPLE_FEED,
    SETTINGS,
    Settings,
    SettingsError,
    load_feeds,
    load_settings,
)

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_settings_file_lists_every_setting_with_its_default():
    shipped = tomllib.loads((BUNDLED / "settings.toml").read_text(encoding="utf-8"))
    text = (BUNDLED / "settings.toml").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert setting.key in shipped, setting.key
        assert setting.parse(shipped[setting.key]) == setting.default, setting.key
        assert f"Environment: {setting.env}" in text, setting.env


def test_settings_fields_are_the_settings_table():
    assert [f for f in Settings.__dataclass_fields__ if f != "source"] == [s.key for s in SETTINGS]


def test_environment_overrides_the_file(tmp_path: Path):
    path = tmp_path / "settings.toml"
    path.write_text('poll_seconds = 60\nadmins = [1, 2]\ntimezone = "Asia/Baghdad"\n')
    settings = load_settings({"NEWSBOT_POLL_SECONDS": "5"}, path)
    assert (settings.poll_seconds, settings.admins, settings.timezone) == (5, (1, 2), "Asia/Baghdad")
    assert load_settings({"NEWSBOT_ADMINS": " 10, 20 "}, path).admins == (10, 20)


def test_fixed_environment_names():
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": "1:abc",
            "TELEGRAM_API_URL": "http://127.0.0.1:9/bot",
            "NEWSBOT_ADMINS": "3",
            "NEWSBOT_DATA_DIR": "/tmp/d",
            "NEWSBOT_FEEDS": "/tmp/f.toml",
            "NEWSBOT_POLL_SECONDS": "1",
        }
    )
    assert settings.telegram_bot_token == "1:abc"
    assert settings.telegram_api_url == "http://127.0.0.1:9/bot"
    assert (settings.admins, settings.data_dir, settings.feeds_file, settings.poll_seconds) == (
        (3,),
        "/tmp/d",
        "/tmp/f.toml",
        1,
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"NEWSBOT_POLL_SECONDS": "0"}, "NEWSBOT_POLL_SECONDS: must be at least 1"),
        ({"NEWSBOT_POLL_SECONDS": "soon"}, "expected a whole number"),
        ({"NEWSBOT_ADMINS": "@someone"}, "not a numeric Telegram user id"),
        ({"NEWSBOT_TIMEZONE": "Mars/Olympus"}, "unknown time zone"),
        ({"NEWSBOT_SETTINGS": "/nonexistent/settings.toml"}, "does not exist"),
        ({"NEWSBOT_ALLOW_PRIVATE_FEEDS": "maybe"}, "NEWSBOT_ALLOW_PRIVATE_FEEDS: expected true or false"),
    ],
)
def test_bad_values_name_the_setting(environ: dict[str, str], message: str):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


def test_switches_read_the_usual_words():
    assert load_settings({"NEWSBOT_ALLOW_PRIVATE_FEEDS": "yes"}).allow_private_feeds is True
    assert load_settings({"NEWSBOT_ALLOW_PRIVATE_FEEDS": "0"}).allow_private_feeds is False
    assert load_settings({}).allow_private_feeds is False


def test_unknown_keys_in_the_settings_file_are_refused(tmp_path: Path):
    path = tmp_path / "settings.toml"
    path.write_text("pol_seconds = 5\n")
    with pytest.raises(SettingsError, match="unknown setting"):
        load_settings({}, path)


def test_the_token_is_kept_out_of_reprs():
    settings = Settings.with_defaults(telegram_bot_token="123:SECRET")
    assert "SECRET" not in repr(settings)
    assert settings.secrets == ("123:SECRET",)


def test_the_database_url_and_its_password_stay_out_of_reprs_and_logs():
    settings = load_settings({"NEWSBOT_DATABASE_URL": "postgresql://bot:p%40ss@db.example.org:5432/newsbot"})
    assert settings.database_url == "postgresql://bot:p%40ss@db.example.org:5432/newsbot"
    assert "p%40ss" not in repr(settings)
    assert set(settings.secrets) == {"p%40ss", "p@ss"}
    in_query = load_settings({"NEWSBOT_DATABASE_URL": "postgres://db/newsbot?user=bot&password=hunter2"})
    assert in_query.secrets == ("hunter2",)
    assert load_settings({}).database_url == ""


def test_a_database_url_that_is_not_postgresql_is_refused_without_repeating_it():
    with pytest.raises(SettingsError) as refused:
        load_settings({"NEWSBOT_DATABASE_URL": "mysql://bot:hunter2@db/newsbot"})
    assert "NEWSBOT_DATABASE_URL: expected a PostgreSQL URL" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_feeds_file(tmp_path: Path):
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[[feeds]]\nname = "Web"\nurl = "https://example.org/rss"\n\n'
        '[[feeds]]\nname = "  Local   file "\nurl = "sample.xml"\n'
    )
    web, local = load_feeds(path)
    assert (web.name, web.url, web.is_remote, web.host) == (
        "Web",
        "https://example.org/rss",
        True,
        "example.org",
    )
    assert (local.name, local.is_remote) == ("Local file", False)
    assert local.file_path == tmp_path / "sample.xml"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[feeds]]\nurl = "https://e.org"\n', "missing name"),
        ('[[feeds]]\nname = "A"\n', "missing url"),
        ('[[feeds]]\nname = "A"\nurl = "ftp://e.org/rss"\n', "neither an http"),
        (
            '[[feeds]]\nname = "A"\nurl = "https://e.org/1"\n[[feeds]]\nname = "a"\nurl = "https://e.org/2"\n',
            "used twice",
        ),
        ('[[feeds]]\nname = "A"\nurl = "https://e.org/1"\nurll = "x"\n', "unknown key"),
        ("feeds = 3\n", "[[feeds]] tables"),
        ("[[feeds]\n", "cannot read"),
    ],
)
def test_feeds_file_errors(tmp_path: Path, content: str, message: str):
    path = tmp_path / "feeds.toml"
    path.write_text(content)
    with pytest.raises(SettingsError, match=message.replace("[", r"\[")):
        load_feeds(path)


def test_the_shipped_feeds_file_loads_and_holds_only_real_feeds():
    sources = load_feeds(BUNDLED / "feeds.toml")
    assert len(sources) >= 4
    assert all(s.is_remote for s in sources), "the sample is the console's, never sent to Telegram chats"
    assert SAMPLE_FEED.is_file()


@pytest.mark.parametrize(
    ("operator_files", "environ", "feeds_file"),
    [
        ({}, {}, str(BUNDLED / "feeds.toml")),  # a fresh install, started anywhere
        ({"config/feeds.toml": ""}, {}, "config/feeds.toml"),  # the operator's own list
        ({"config/settings.toml": 'feeds_file = "mine.toml"\n'}, {}, "mine.toml"),
        ({}, {"NEWSBOT_FEEDS": "config/feeds.toml"}, str(BUNDLED / "feeds.toml")),
        ({}, {"NEWSBOT_FEEDS": "elsewhere.toml"}, "elsewhere.toml"),
    ],
)
def test_the_operators_config_folder_comes_first_then_the_bundled_defaults(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    operator_files: dict[str, str],
    environ: dict[str, str],
    feeds_file: str,
):
    monkeypatch.chdir(tmp_path)
    for name, content in operator_files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(content)
    settings = load_settings(environ)
    assert settings.feeds_file == feeds_file
    assert settings.source == (
        "config/settings.toml" if "config/settings.toml" in operator_files else "defaults"
    )


def test_the_package_ships_its_config_files():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = pyproject["tool"]["setuptools"]["package-data"]["bot"]
    files = {p.name for pattern in shipped for p in (REPO / "bot").glob(pattern)}
    assert files == {"settings.toml", "feeds.toml", "sample-feed.xml"}


def test_the_readme_documents_every_environment_variable():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env}`" in readme and f"`{setting.key}`" in readme, setting.env
