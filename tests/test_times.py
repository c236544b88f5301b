"""The one module of time formats and the one duration formatter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from generator import times

T = datetime(2026, 6, 19, 15, 57, tzinfo=UTC)


def test_data_file_form_round_trips() -> None:
    plus2 = timezone(timedelta(hours=2))
    assert times.format_time(T.astimezone(plus2)) == "2026-06-19T15:57:00Z"
    assert times.parse_time("2026-06-19T17:57:00+02:00") == T
    assert times.parse_time(" 2026-06-19t15:57:00z ") == T


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-06-19T15:57:00", "time '2026-06-19T15:57:00' has no time zone (add Z or an offset)"),
        ("0001-01-01T00:00:00Z", "time '0001-01-01T00:00:00Z' is not between 1970 and 2999"),
    ],
)
def test_parse_time_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        times.parse_time(text)


def test_display_forms() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert times.api_time(T) == "2026-06-19T15:57:00.000Z"
    assert times.api_time(None) is None
    assert times.attribute_time(T) == "2026-06-19T15:57:00Z"
    assert times.attribute_time(date(2026, 6, 19)) == "2026-06-19"
    assert times.readable_utc(T) == "2026-06-19 15:57 UTC"
    assert times.readable_utc(T + timedelta(seconds=5)) == "2026-06-19 15:57:05 UTC"
    assert times.clock(T, paris) == "17:57 CEST"
    assert times.day_text(T, paris) == "Jun 19, 2026"
    assert times.when(T, paris, T) == "Jun 19, 17:57 CEST"
    assert times.when(T, paris, T + timedelta(days=365)) == "Jun 19, 2026, 17:57 CEST"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "0 s"),
        (0, "0 s"),
        (59, "59 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (7500, "2 h 5 min"),
        (6360, "1 h 46 min"),
        (47 * 3600, "1 d 23 h"),
        (86400, "1 d"),
        (97200, "1 d 3 h"),
        (3 * 86400 + 5, "3 d"),
    ],
)
def test_duration(seconds: int, text: str) -> None:
    assert times.duration(seconds) == text
    assert times.duration(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize(
    ("age", "words"),
    [
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=3), "3 minutes ago"),
        (timedelta(hours=2, minutes=5), "2 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(seconds=-30), "just now"),
    ],
)
def test_ago(age: timedelta, words: str) -> None:
    assert times.ago(T - age, T) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "just now"),
        (59, "just now"),
        (-3, "just now"),
        (60, "for 1 min"),
        (3700, "for 1 h 1 min"),
    ],
)
def test_ongoing_never_says_zero_seconds(seconds: int, words: str) -> None:
    assert times.ongoing(seconds) == words
    assert times.ongoing(timedelta(seconds=seconds)) == words
