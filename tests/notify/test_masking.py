"""Channel URLs are secrets: masked whole, after their scheme and in their token parts."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import upwatch
from helpers import git_remote

from generator.config.read import Masker, Notify
from generator.config.secrets import channel_secrets, channel_url, with_channels

SLACK = "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"


def test_a_literal_url_is_masked_after_its_scheme_and_in_its_token() -> None:
    mask = with_channels(Masker(), [Notify(url=SLACK)])
    said = f"POST hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ: {SLACK}"
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in mask(said)
    assert "services/T1JJ3T3L2" not in mask(said)
    assert mask("token TIiajkdnlazkcOXrIdevi7FQ leaked") == "token *** leaked"
    assert (
        mask("hooks.slack.com answered 404") == "hooks.slack.com answered 404"
    )  # a host is no secret


def test_a_secret_url_is_filled_from_the_environment_and_masked() -> None:
    channel = Notify(url="json://${HOOK}")
    env = {"HOOK": "127.0.0.1:8080/hook/abcdef123456"}
    assert channel_url(channel, env) == "json://127.0.0.1:8080/hook/abcdef123456"
    assert channel_url(channel, {}) is None
    assert channel_url(channel, {"HOOK": ""}) is None  # a workflow passes "" for a missing secret
    assert "127.0.0.1:8080/hook/abcdef123456" in channel_secrets([channel], env)


def test_notify_since_an_unknown_commit_is_one_clean_line(tmp_path: Path) -> None:
    remote = git_remote(
        tmp_path, "site: {title: T}\nmonitors: []\nnotify:\n  - url: json://127.0.0.1:9/x\n"
    )
    seed = tmp_path / "seed"
    result = upwatch("notify", "--config", str(seed / "status.yml"), "--since", "nosuch")
    assert result.exit_code == 2
    assert "Error: Invalid value for '--since': nosuch: no such commit in this repository" in (
        result.output
    )
    assert remote.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "hooks.slack.com",
            "must be an apprise URL such as json://host/path, or a ${NAME} that holds one",
        ),
        ("json://a b", "must not hold spaces"),
    ],
)
def test_a_url_that_is_no_url_is_a_located_error(tmp_path: Path, url: str, message: str) -> None:
    (tmp_path / "status.yml").write_text(
        f"site: {{title: T}}\nmonitors: []\nnotify:\n  - url: {url}\n"
    )
    result = upwatch("check", "--config", str(tmp_path / "status.yml"))
    assert result.exit_code == 1
    assert f":4: notify[0].url: {message}" in result.output
