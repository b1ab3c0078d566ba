"""messages/text.py: town time, dates as people read them, the NFKC normaliser."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from messages import text

SAT_EVENING_UTC = datetime(2026, 11, 7, 9, 30, tzinfo=UTC)  # 18:30 on Saturday in Japan


def test_local_converts_a_stored_utc_time_to_town_time():
    at = text.local(SAT_EVENING_UTC)
    assert at.utcoffset() == timedelta(hours=9)
    assert (at.year, at.month, at.day, at.hour, at.minute) == (2026, 11, 7, 18, 30)


def test_local_accepts_a_zone_name_a_tzinfo_or_nothing():
    by_name = text.local(SAT_EVENING_UTC, "Europe/London")
    by_zone = text.local(SAT_EVENING_UTC, ZoneInfo("Europe/London"))
    assert by_name == by_zone and by_name.hour == 9
    assert text.local(SAT_EVENING_UTC, None).hour == 18


def test_local_naive_drops_the_zone_for_spreadsheets():
    at = text.local(SAT_EVENING_UTC, naive=True)
    assert at.tzinfo is None and at == datetime(2026, 11, 7, 18, 30, tzinfo=UTC).replace(
        tzinfo=None
    )


def test_when_reads_as_residents_read_it():
    assert text.when(SAT_EVENING_UTC, "ja") == "11月7日(土) 18:30"
    assert text.when(SAT_EVENING_UTC, "en") == "Sat 7 Nov 18:30"
    assert text.when(SAT_EVENING_UTC, "ja", year=True) == "2026年11月7日(土) 18:30"


def test_when_crosses_midnight_into_the_town_day():
    late = datetime(2026, 12, 31, 15, 5, tzinfo=UTC)  # 00:05 on 1 January in Japan
    assert text.when(late, "ja") == "1月1日(金) 00:05"
    assert text.when(late, "en", "UTC") == "Thu 31 Dec 15:05"


def test_day_of_a_date_and_of_a_datetime():
    assert text.day(date(2026, 11, 9), "ja") == "11月9日(月)"
    assert text.day(date(2026, 11, 9), "en", year=True) == "Mon 9 Nov 2026"
    assert text.day(SAT_EVENING_UTC, "ja") == "11月7日(土)"


def test_unknown_language_falls_back_to_japanese_weekdays():
    assert text.weekday(date(2026, 11, 9), "fr") == "月"


def test_weekday_names_follow_python_weekday_numbers():
    monday = date(2026, 11, 9)
    for i in range(7):
        d = monday + timedelta(days=i)
        assert text.weekday(d, "en") == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[i]
        assert text.weekday(d, "ja") == "月火水木金土日"[i]


def test_nfkc_variants():
    assert text.nfkc("　ＡＢＣ１２３　") == " ABC123 "
    assert text.nfkc("　ＡＢＣ１２３　", strip=True) == "ABC123"
    assert text.nfkc(" ＡＢＣ ", strip=True, lower=True) == "abc"
    assert text.nfkc("Straße", casefold=True) == "strasse"
    assert text.nfkc("ab-cd", upper=True) == "AB-CD"
    assert text.nfkc(None) == ""
    assert text.nfkc("ｱﾝｹｰﾄ") == "アンケート"


def test_pick_a_content_text_in_the_residents_language():
    assert text.pick({"ja": "会議", "en": "Meeting"}, "en") == "Meeting"
    assert text.pick({"ja": "会議"}, "en") == "会議"
    assert text.pick({"en": "Only English"}, "ja") == "Only English"
    assert text.pick("plain", "en") == "plain"
    assert text.pick(None, "ja") == ""


def test_residencies_are_the_stored_codes():
    assert text.RESIDENCIES == ("resident", "commuter", "outside")


@given(
    st.datetimes(
        datetime(1900, 1, 2, tzinfo=UTC).replace(tzinfo=None),
        datetime(2200, 1, 1, tzinfo=UTC).replace(tzinfo=None),
        timezones=st.just(UTC),
    ),
    st.integers(min_value=-12, max_value=14),
)
def test_local_keeps_the_moment(moment, hours):
    zone = timezone(timedelta(hours=hours))
    at = text.local(moment, zone)
    assert at == moment and at.utcoffset() == timedelta(hours=hours)


@given(st.text())
def test_nfkc_strip_is_idempotent(value):
    once = text.nfkc(value, strip=True)
    assert text.nfkc(once, strip=True) == once


def test_listed_joins_in_each_language():
    assert text.listed(["大谷", "磐梯"]) == "大谷、磐梯"
    assert text.listed(["Otani", "Bandai"], "en") == "Otani, Bandai"
    assert text.listed([]) == ""
    assert text.LANGUAGE_NAMES == {"ja": "日本語", "en": "English"}


def test_dated_has_the_year_and_no_weekday():
    assert text.dated(SAT_EVENING_UTC, "ja") == "2026年11月7日"
    assert text.dated(SAT_EVENING_UTC, "en") == "7 Nov 2026"
    assert text.dated(date(2027, 1, 31), "en") == "31 Jan 2027"
