"""Date expressions in Korean plan documents, normalized to ISO dates and date ranges.

Plan documents are typed by hand, so one date has many spellings: ``2023. 11. 1.``, ``'23.11.1.``,
``2023년 11월``, ``'24. 3.~11.``, ``22-04-25`` in research tables, ``9.12. (토)`` inside a year's table.
Schedule facts ("what happens, when") and question understanding need them as real dates, and
citations need the text exactly as written, so every mention keeps its source text and offsets.

The parser scans digit runs left to right and tries each form family at the start of a run; a range
("A ~ B") is tried after every point, so the longest reading wins and the end inherits the parts it
leaves out from the start. Bare numbers are only read as dates with a marker that makes them dates
(a 4-digit year, a quote before a 2-digit year, the trailing dots, 년/월/일), because plan documents are
full of section numbers (``1. 2.``), money (``11.3억원``), ratios (``77.5%``) and versions (``2.0``).
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass, replace

QUOTES = "'‘’`´"  # '24 is written with any of these (the typographic ones come from word processors)
_TILDE = re.compile(r" *[~∼〜～] *")
_WEEKDAY = r"(?P<wd> ?\([월화수목금토일]\))?"  # "2020. 2. 7.(금)": kept in the mention's text
# a 4-digit year (1900-2099) or a 2-digit one; (?![0-9]) keeps us out of longer digit runs
_YEAR = r"(?P<y>(?:19|20)[0-9]{2}(?![0-9])|[0-9]{2}(?![0-9]))"

# 2023. 11. 1. / '23.8.8. / 2024. 2월 / '24. 2~3. (month without its dot, the range follows) / 2023. 5. 24
_DOTTED = re.compile(
    _YEAR + r" ?\. ?(?P<m>[0-9]{1,2})(?![0-9])(?P<mt>\.|월)?"
    r"(?:(?<=\.) ?(?P<d>[0-9]{1,2})(?![0-9])(?P<dt>\.|일)?" + _WEEKDAY + r")?"
)
_MONTH_OPEN = re.compile(r" *[~∼〜～)]")  # "'24. 2~3.", "'23.3)": where a month may drop its dot
_DAY_OPEN = re.compile(r"[\t\n)]| *[~∼〜～]|\Z")  # "2023. 5. 24<tab>" in award tables
# 2024년 / 2024년 3월 / 2024년 3월 5일 / '22년 / 2024년 상반기 / '24년 1분기
_KOREAN = re.compile(
    _YEAR + r"년(?:도)?(?: ?(?:(?P<half>상반기|하반기)|(?P<q>[1-4]) ?분기"
    r"|(?P<m>[0-9]{1,2})월(?: ?(?P<d>[0-9]{1,2})일)?))?"
)
# month.day and month월 inside a year's table ("9.12. (토)", "(12월)"): only with a default year
_MONTH_DAY = re.compile(r"(?P<m>[0-9]{1,2}) ?\. ?(?P<d>[0-9]{1,2})\.(?! ?[0-9])" + _WEEKDAY)
_MONTH_DAY_KO = re.compile(r"(?P<m>[0-9]{1,2})월(?: ?(?P<d>[0-9]{1,2})일)?")
# research tables: start "22-04-25", end "03-31" (the year of the plan); a cell must end right after
_YMD_HYPHEN = re.compile(r"(?P<y>[0-9]{2})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})(?=[\s),]|\Z)")
_MD_HYPHEN = re.compile(r"(?P<m>[0-9]{2})-(?P<d>[0-9]{2})(?=[\s),]|\Z)")
# "2021~2023.10.", "(2024~2028)": a bare year is a year only as the start of a range
_BARE_YEAR = re.compile(r"(?P<y>(?:19|20)[0-9]{2})(?![0-9])(?= *[~∼〜～])")
# the end of a range written with one number: "'24. 3.~11.", "'24. 3~9 :", "2020. 2~3월", "2024~2028"
_END_NUMBER = re.compile(r"(?P<n>[0-9]{1,4})(?![0-9])(?:(?P<t>[.월일년])|(?=[\s),:(]|\Z))" + _WEEKDAY)
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class DateMention:
    """One date expression: the text as written (for citations) and the days it covers (for reasoning)."""

    text: str
    start: int
    end: int
    start_date: datetime.date
    end_date: datetime.date
    precision: str  # "day", "month" or "year" of the start: "2024. 3." covers March but says no day
    is_range: bool

    @property
    def iso(self) -> str:
        """ISO 8601 at the precision written: a range as "start/end", else "2023-11-01", "2024-03", "2024"."""
        if self.is_range:
            return f"{self.start_date.isoformat()}/{self.end_date.isoformat()}"
        if self.precision == "day":
            return self.start_date.isoformat()
        if self.precision == "month":
            return self.start_date.isoformat()[:7]
        return str(self.start_date.year)


@dataclass(frozen=True)
class _Point:
    """One side of a possible range, before we know whether a "~" follows."""

    start: int
    end: int
    first: datetime.date
    last: datetime.date
    precision: str
    explicit_year: bool = True  # False when the year came from default_year (or the range's start)
    is_span: bool = False  # 상반기 / 1분기: already a range of months, no "~" continues it
    needs_range: bool = False  # bare "2021" means nothing unless "~ 2023" follows


def _cover(year: int, month: int | None = None, day: int | None = None) -> tuple[datetime.date, datetime.date] | None:
    """First and last day covered, or None for an impossible date ("2023. 2. 30.", month 13)."""
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        return None  # a default_year of 0 or a relative year past 9999
    if month is None:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if not 1 <= month <= 12:
        return None
    last_day = calendar.monthrange(year, month)[1]
    if day is None:
        return datetime.date(year, month, 1), datetime.date(year, month, last_day)
    if not 1 <= day <= last_day:
        return None
    return datetime.date(year, month, day), datetime.date(year, month, day)


def _part_of_year(year: int, half: str | None, quarter: str | None) -> tuple[datetime.date, datetime.date]:
    """상반기/하반기 (six months) or 1분기..4분기 (three months) as the days they cover."""
    first, months = (1 if half == "상반기" else 7, 6) if half else (3 * int(quarter or 1) - 2, 3)
    return datetime.date(year, first, 1), _cover(year, first + months - 1)[1]


def _point(start: int, end: int, year: int, month: int | None, day: int | None, explicit: bool = True) -> _Point | None:
    cover = _cover(year, month, day)
    if cover is None:
        return None
    precision = "day" if day is not None else "month" if month is not None else "year"
    return _Point(start, end, cover[0], cover[1], precision, explicit_year=explicit)


def _two_digit_year(digits: str) -> int:
    return 2000 + int(digits)  # plan documents date from 2000 on: '01 is 2001, '24 is 2024


def _after_number(text: str, s: int) -> bool:
    """True when s continues a dotted number ("1. 2. 3."): its parts are not a month.day."""
    before = text[max(0, s - 3) : s].rstrip(" ")
    return len(before) >= 2 and before[-1] == "." and before[-2].isdigit()


def _dotted(text: str, s: int, quote: int | None) -> _Point | None:
    m = _DOTTED.match(text, s)
    if not m:
        return None
    digits = m["y"]
    strong = len(digits) == 4 or quote is not None  # the year itself says "this is a date"
    if not strong and (int(digits) < 13 or _after_number(text, s)):
        return None  # unquoted "24. 3.": a year only if it cannot be a month ("11. 8." is November 8)
    year = int(digits) if len(digits) == 4 else _two_digit_year(digits)
    start = quote if quote is not None and len(digits) == 2 else s
    month_end = m.end("mt") if m["mt"] else m.end("m")
    if not m["mt"]:  # a month may drop its dot before a range ("/ 24. 1~3.") or a bracket ("'23.3)")
        opener = _MONTH_OPEN.match(text, month_end)
        if opener is None or (not strong and ")" in opener.group()):
            return None
    if m["d"] is not None:
        written_out = m["dt"] is not None or m["wd"] is not None
        if written_out or (strong and _DAY_OPEN.match(text, m.end("d"))):
            return _point(start, m.end(), year, int(m["m"]), int(m["d"]))  # invalid day: skipped, not a month
    return _point(start, month_end, year, int(m["m"]), None)  # "'24. 3. 30명": the 30 is not a day


def _korean(text: str, s: int, quote: int | None) -> _Point | None:
    m = _KOREAN.match(text, s)
    if not m:
        return None
    digits = m["y"]
    if len(digits) == 2 and quote is None:
        return None  # "10년에 따른" is ten years, "'22년" is 2022
    year = int(digits) if len(digits) == 4 else _two_digit_year(digits)
    start = quote if quote is not None and len(digits) == 2 else s
    if m["half"] or m["q"]:
        first, last = _part_of_year(year, m["half"], m["q"])
        return _Point(start, m.end(), first, last, "month", is_span=True)
    month = int(m["m"]) if m["m"] else None
    return _point(start, m.end(), year, month, int(m["d"]) if m["d"] else None)


def _without_year(text: str, s: int, default_year: int | None) -> _Point | None:
    """Month.day, month월 and MM-DD forms: the year comes from the context (a table's year, a range's start)."""
    if default_year is None or _after_number(text, s) or (s > 0 and text[s - 1] == "-"):
        return None
    best = None
    for pattern in (_MONTH_DAY, _MONTH_DAY_KO, _MD_HYPHEN):
        m = pattern.match(text, s)
        if m:
            day = int(m["d"]) if m["d"] else None
            found = _point(s, m.end(), default_year, int(m["m"]), day, explicit=False)
            if found and (best is None or found.end > best.end):
                best = found
    return best


def _hyphen_ymd(text: str, s: int) -> _Point | None:
    m = _YMD_HYPHEN.match(text, s)
    if not m or (s > 0 and text[s - 1] == "-"):
        return None
    return _point(s, m.end(), _two_digit_year(m["y"]), int(m["m"]), int(m["d"]))


def _bare_year(text: str, s: int) -> _Point | None:
    m = _BARE_YEAR.match(text, s)
    year = _point(s, m.end(), int(m["y"]), None, None) if m else None
    return replace(year, needs_range=True) if year else None


def _point_at(text: str, s: int, default_year: int | None) -> _Point | None:
    """The longest single date starting at the digit run at s (a quote just before belongs to a 2-digit year)."""
    quote = None
    if s >= 1 and text[s - 1] in QUOTES:
        quote = s - 1
    elif s >= 2 and text[s - 1] == " " and text[s - 2] in QUOTES:  # "' 24. 1~12." in one centre's plan
        quote = s - 2
    candidates = (
        _dotted(text, s, quote),
        _korean(text, s, quote),
        _hyphen_ymd(text, s),
        _without_year(text, s, default_year),
        _bare_year(text, s),
    )
    found = [c for c in candidates if c is not None]
    return max(found, key=lambda p: p.end) if found else None


def _range_end(text: str, p: int, start: _Point) -> _Point | None:
    """The end of "start ~ ...": a full date, or the parts that differ, the rest inherited from the start."""
    digit = p + 1 if p < len(text) and text[p] in QUOTES else p
    digit += 1 if text[digit : digit + 1] == " " and digit > p else 0
    full = _point_at(text, digit, start.first.year) if text[digit : digit + 1].isdigit() else None
    if full and not full.is_span and not full.needs_range and (full.explicit_year or start.precision != "year"):
        return full
    m = _END_NUMBER.match(text, p)
    if not m:
        return None
    n, unit = int(m["n"]), m["t"]
    year, month = start.first.year, start.first.month
    if start.precision == "year" and len(m["n"]) == 4 and unit in (None, "년"):  # "2024~2028"
        return _point(p, m.end(), n, None, None)
    if start.precision == "month" and unit in (None, ".", "월"):  # "'24. 3.~11." -> November
        return _point(p, m.end(), year, n, None)
    if start.precision == "day" and unit in (None, ".", "일"):  # "2023. 11. 1.~15." -> the 15th
        return _point(p, m.end(), year, month, n)
    return None


def _mention(text: str, start: _Point, end: _Point | None) -> DateMention:
    last = end if end is not None else start
    return DateMention(
        text=text[start.start : last.end],
        start=start.start,
        end=last.end,
        start_date=start.first,
        end_date=last.last,
        precision=start.precision,
        is_range=end is not None or start.is_span,
    )


def _starts_cleanly(text: str, s: int) -> bool:
    """A date never continues a decimal ("11.3억"), a thousands group, a time ("10:00") or a code ("P.11")."""
    before = text[s - 1] if s > 0 else " "
    return before not in ".,:" and not ("a" <= before.lower() <= "z")


def find_dates(text: str, default_year: int | None = None) -> list[DateMention]:
    """All date expressions in text, left to right, non-overlapping (longest match wins: a range beats its parts).

    default_year is the year of a table or a plan ("9.12. (토)" in the 2020 training schedule); without it
    month.day and MM-DD forms are not reported, since "3.9." may just as well be a section number.
    """
    if not isinstance(text, str) or not text:
        return []
    mentions: list[DateMention] = []
    cursor = 0
    for run in _DIGITS.finditer(text):
        s = run.start()
        if s < cursor or not _starts_cleanly(text, s):
            continue
        start = _point_at(text, s, default_year)
        if start is None or start.start < cursor:
            continue
        end = None
        tilde = _TILDE.match(text, start.end) if not start.is_span else None
        if tilde:
            end = _range_end(text, tilde.end(), start)
            if end is not None and not (end.first >= start.first and end.last > start.last):
                end = None  # "ends before it starts": not a range, keep the start alone
        if end is None and start.needs_range:
            continue
        mention = _mention(text, start, end)
        mentions.append(mention)
        cursor = mention.end
    return mentions


# ---- relative expressions typed in questions ("다음 달 행사", "내년 상반기 계획") ----------------------------

_RELATIVE_YEARS = {"올해": 0, "금년": 0, "내년": 1, "다음해": 1, "작년": -1, "지난해": -1, "재작년": -2}
_RELATIVE_MONTHS = {"이번달": 0, "이달": 0, "다음달": 1, "내달": 1, "지난달": -1, "저번달": -1}
_RELATIVE_DAYS = {"오늘": 0, "금일": 0, "내일": 1, "모레": 2, "어제": -1, "그제": -2, "그저께": -2}
_RELATIVE_WEEKS = {"이번주": 0, "금주": 0, "다음주": 1, "차주": 1, "지난주": -1, "저번주": -1}


def _words(table: dict[str, int]) -> str:
    return "|".join(sorted(table, key=len, reverse=True))  # longest first: "재작년" before "작년"


# matched with the spaces removed ("다음 달" == "다음달"); a trailing particle ("상반기에", "올해는") is allowed
_RELATIVE = re.compile(
    rf"(?:(?P<day_word>{_words(_RELATIVE_DAYS)})|(?P<week_word>{_words(_RELATIVE_WEEKS)})"
    rf"|(?P<month_word>{_words(_RELATIVE_MONTHS)})(?:(?P<month_day>[0-9]{{1,2}})일)?"
    rf"|(?:(?P<year_word>{_words(_RELATIVE_YEARS)})|(?P<year>(?:19|20)[0-9]{{2}})년도?|[{QUOTES}](?P<year2>[0-9]{{2}})년도?)?"
    r"(?:(?P<half>상반기|하반기)|(?P<quarter>[1-4])분기|(?P<month>[0-9]{1,2})월(?:(?P<day>[0-9]{1,2})일)?)?)"
    r"(?:에는|에서|에|중에|중|까지|부터|의|은|는|엔)?"
)


def _add_months(day: datetime.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def resolve_relative(expression: str, today: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    """Relative expressions people type in questions: 오늘, 이번 달/이달, 다음 달, 지난달, 올해, 내년, 작년/지난해,
    상반기/하반기 (of this year, or of a year mentioned: "내년 상반기", "2024년 하반기"), 1분기..4분기,
    "올해 3월", "다음 달 10일", "3월" alone (this year). None when not a date expression.

    Questions are answered against documents, so the answer is the span of days to look for; today is a
    parameter (not the clock) so answers are reproducible and tests stable.
    """
    if not isinstance(expression, str) or len(expression) > 100:
        return None
    compact = re.sub(r"\s+", "", expression)
    m = _RELATIVE.fullmatch(compact) if compact else None
    if m is None:
        found = find_dates(expression.strip())  # an absolute date typed as in the documents: "2024. 3."
        if len(found) == 1 and found[0].text == expression.strip():
            return found[0].start_date, found[0].end_date
        return None
    try:
        return _resolve(m, today)
    except (OverflowError, ValueError):  # today near date.max/min: no such day, not a crash
        return None


def _resolve(m: re.Match[str], today: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    if m["day_word"]:
        day = today + datetime.timedelta(days=_RELATIVE_DAYS[m["day_word"]])
        return day, day
    if m["week_word"]:
        this_monday = today - datetime.timedelta(days=today.weekday())
        monday = this_monday + datetime.timedelta(weeks=_RELATIVE_WEEKS[m["week_word"]])
        return monday, monday + datetime.timedelta(days=6)
    if m["month_word"]:
        year, month = _add_months(today, _RELATIVE_MONTHS[m["month_word"]])
        return _cover(year, month, int(m["month_day"]) if m["month_day"] else None)
    if m["year_word"]:
        year = today.year + _RELATIVE_YEARS[m["year_word"]]
    elif m["year"] or m["year2"]:
        year = int(m["year"]) if m["year"] else _two_digit_year(m["year2"])
    elif m["half"] or m["quarter"] or m["month"]:
        year = today.year  # "상반기", "3분기", "3월" alone: of this year
    else:
        return None  # only a particle: "에"
    if m["half"] or m["quarter"]:
        return _part_of_year(year, m["half"], m["quarter"])
    return _cover(year, int(m["month"]) if m["month"] else None, int(m["day"]) if m["day"] else None)
