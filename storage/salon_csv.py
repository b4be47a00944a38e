"""The salon directory as a CSV file: import with validation, export that imports back the same.

The layout follows the government's recommended open-data dataset for facilities (ID, 名称,
名称_カナ, 住所, 方書, 緯度, 経度, 電話番号, 曜日, 開始時間, 終了時間 …) plus the columns
salons need (種類, 地区, 日程ルール, 対象 …); docs/salons_csv.md describes every column.

An import reads the whole file and checks every row before writing anything: if any row is
wrong, `ImportFailed` lists each problem (row, column, why) and the database is untouched.
Each reason is an English msgid with its params, so staff read it in their own language.
Rows are matched by ID, so importing the same file twice updates and never duplicates.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from locales import N_, fill
from storage import csv_cells
from storage.geo import distance_m
from storage.models import District, Salon, SalonCancellation
from storage.models.salons import audience_mask
from storage.salon_schedule import (
    IRREGULAR,
    WEEKDAY_CHARS,
    Rule,
    ScheduleError,
    parse,
    parse_time,
    parse_weekdays,
    time_text,
)

COLUMNS = (
    "ID",
    "名称",
    "名称_カナ",
    "種類",
    "地区",
    "地域",
    "住所",
    "方書",
    "緯度",
    "経度",
    "電話番号",
    "主催者",
    "曜日",
    "開始時間",
    "終了時間",
    "日程ルール",
    "祝日休み",
    "年末年始休み",
    "休止日",
    "対象",
    "内容",
    "参加費",
    "持ち物",
    "参加方法",
    "バリアフリー",
    "状態",
    "最終確認日",
    "備考",
)
REQUIRED_COLUMNS = ("ID", "名称", "種類", "地区", "住所", "緯度", "経度", "曜日", "開始時間",
                    "終了時間", "日程ルール")  # fmt: skip

# The words the file uses for our codes; the code itself is accepted too.
KIND_LABELS = {
    "fureai": "ふれあいサロン",
    "kosodate": "子育てサロン",
    "kayoi": "通いの場・体操",
    "cafe": "コミュニティカフェ",
    "ibasho": "居場所",
    "other": "その他",
}
AUDIENCE_LABELS = {
    "elderly": "高齢者",
    "parents": "子育て中の親子",
    "disability": "障がいのある方",
    "anyone": "どなたでも",
}
STATUS_LABELS = {"active": "活動中", "paused": "休止中", "ended": "終了"}
_YES = {"はい", "あり", "休み", "する", "○", "〇", "yes", "y", "true", "1"}
_NO = {"", "いいえ", "なし", "開催", "しない", "×", "no", "n", "false", "0"}
_LIST_SEPARATORS = re.compile(r"[・、,;；\s]+")
_PHONE = re.compile(r"[0-9][0-9-]{5,18}[0-9]")
REQUIRED = N_("this value is required")
# Further than this from every district centre is not in the town: a typo or swapped columns.
TOWN_REACH_M = 20_000.0


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file. Row numbers are as a spreadsheet shows them (header = 1).

    `message` is an English msgid whose `{placeholders}` `params` fill: staff read it through
    `gettext(language, problem.message, **problem.params)`; `why` and `str()` are English, for
    logs and programs.
    """

    row: int
    column: str
    message: str
    # Out of the hash (a dict has none), so a Problem stays hashable as it always was.
    params: dict[str, object] = field(default_factory=dict, hash=False)

    @property
    def why(self) -> str:
        return fill(self.message, self.params)

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.why}"


class ImportFailed(Exception):
    """The file was not imported; nothing was written. `problems` says why, row by row."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    encoding: str


@dataclass
class _Record:
    row: int
    code: str
    values: dict[str, Any] = field(default_factory=dict)
    cancelled: set[date] = field(default_factory=set)


# --- import ------------------------------------------------------------------------------------


def decode(raw: bytes) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8 with or without BOM, or Shift_JIS (cp932)."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFailed([Problem(1, "", N_("the file is neither UTF-8 nor Shift_JIS (cp932) text"))])


def read_rows(raw: bytes) -> tuple[list[dict[str, str]], str]:
    """The data rows as {column: value}, and the encoding found; missing columns fail at once."""
    text, encoding = decode(raw)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFailed(
            [Problem(1, column, N_("this column is missing from the header")) for column in missing]
        )
    rows = [
        {
            key: csv_cells.read(value or "").strip()
            for key, value in row.items()
            if isinstance(key, str)
        }
        for row in reader
    ]
    return rows, encoding


def import_csv(
    session: Session,
    raw: bytes,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check every row, then create or update salons by ID in the caller's transaction.

    Raises ImportFailed, having written nothing, if any row is wrong. `progress` is called
    with the number of rows done since the last call, for a progress bar.
    """
    rows, encoding = read_rows(raw)
    districts = _districts(session)
    records: list[_Record] = []
    problems: list[Problem] = []
    first_row_of: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        record, found = _check(number, row, districts)
        problems += found
        if record.code:
            if record.code in first_row_of:
                why = N_("duplicate ID '{code}'; it is already on row {row}")
                params = {"code": record.code, "row": first_row_of[record.code]}
                problems.append(Problem(number, "ID", why, params))
            else:
                first_row_of[record.code] = number
        records.append(record)
        if progress is not None:
            progress(1)
    if problems:
        raise ImportFailed(problems)
    created, updated = _write(session, records, now, progress)
    return ImportResult(created, updated, encoding)


def _districts(session: Session) -> dict[str, District]:
    found: dict[str, District] = {}
    for district in session.scalars(select(District)):
        found[district.name] = district
        found[district.slug] = district
    return found


def _check(
    number: int, row: dict[str, str], districts: dict[str, District]
) -> tuple[_Record, list[Problem]]:
    """One row to the salon's column values, and whatever is wrong with it."""
    problems: list[Problem] = []

    def problem(column: str, message: str, /, **params: object) -> None:
        problems.append(Problem(number, column, message, params))

    def required(column: str) -> str:
        value = row.get(column, "")
        if not value:
            problem(column, REQUIRED)
        return value

    record = _Record(row=number, code=required("ID"))
    values = record.values
    values["name"] = required("名称")
    values["name_kana"] = row.get("名称_カナ", "")
    values["kind"] = _code_of(row.get("種類", ""), KIND_LABELS)
    if not row.get("種類"):
        problem("種類", REQUIRED)
    elif values["kind"] is None:
        problem(
            "種類",
            N_("unknown kind '{kind}'; use one of {labels}"),
            kind=row["種類"],
            labels=tuple(KIND_LABELS.values()),
        )
    district = districts.get(row.get("地区", ""))
    if not row.get("地区"):
        problem("地区", REQUIRED)
    elif district is None:
        problem("地区", N_("unknown district '{district}'"), district=row["地区"])
    values["district_id"] = district.id if district else None
    values["community_area"] = row.get("地域") or (district.area if district else "")
    values["address"] = required("住所")
    values["venue"] = row.get("方書", "")
    latitude = _coordinate(row.get("緯度", ""), -90, 90, "緯度", problem)
    longitude = _coordinate(row.get("経度", ""), -180, 180, "経度", problem)
    if latitude is not None and longitude is not None:
        values["latitude"], values["longitude"] = latitude, longitude
        _check_in_town(latitude, longitude, districts, problem)
    values["phone"] = row.get("電話番号", "")
    if values["phone"] and not _PHONE.fullmatch(unicodedata.normalize("NFKC", values["phone"])):
        problem(
            "電話番号", N_("'{text}' is not a phone number like 0465-00-1234"), text=values["phone"]
        )
    values["organiser"] = row.get("主催者", "")
    _check_schedule(row, values, problem)
    values["skip_holidays"] = _flag(row.get("祝日休み", ""), "祝日休み", problem)
    values["skip_year_end"] = _flag(row.get("年末年始休み", ""), "年末年始休み", problem)
    for text in _items(row.get("休止日", "")):
        day = _date(text)
        if day is None:
            problem("休止日", N_("'{text}' is not a date like 2026-12-02"), text=text)
        else:
            record.cancelled.add(day)
    audiences = []
    for text in _items(row.get("対象", "")):
        code = _code_of(text, AUDIENCE_LABELS)
        if code is None:
            labels = tuple(AUDIENCE_LABELS.values())
            problem("対象", N_("unknown audience '{text}'; use {labels}"), text=text, labels=labels)
        else:
            audiences.append(code)
    values["audience_mask"] = audience_mask(audiences or ["anyone"])
    values["activities"] = row.get("内容", "")
    values["fee"] = row.get("参加費", "")
    values["what_to_bring"] = row.get("持ち物", "")
    values["how_to_join"] = row.get("参加方法", "")
    values["accessibility"] = row.get("バリアフリー", "")
    values["status"] = _code_of(row.get("状態", "") or "active", STATUS_LABELS)
    if values["status"] is None:
        problem(
            "状態",
            N_("unknown status '{text}'; use {labels}"),
            text=row["状態"],
            labels=tuple(STATUS_LABELS.values()),
        )
    confirmed = row.get("最終確認日", "")
    values["last_confirmed"] = _date(confirmed) if confirmed else None
    if confirmed and values["last_confirmed"] is None:
        problem("最終確認日", N_("'{text}' is not a date like 2026-04-01"), text=confirmed)
    values["notes"] = row.get("備考", "")
    _check_lengths(values, problem)
    return record, problems


def _check_schedule(row: dict[str, str], values: dict[str, Any], problem: _Reporter) -> None:
    """日程ルール (or, when empty, 曜日 as every week) with 開始時間 and 終了時間."""
    rule_text, weekdays_text = row.get("日程ルール", ""), row.get("曜日", "")
    rule: Rule | None = None
    written_start = written_end = None
    weekdays: tuple[int, ...] = ()
    if weekdays_text:
        try:
            weekdays = parse_weekdays(weekdays_text)
        except ScheduleError as error:
            problem("曜日", error.message, **error.params)
    if rule_text:
        try:
            rule, written_start, written_end = parse(rule_text)
        except ScheduleError as error:
            problem("日程ルール", error.message, **error.params)
    elif weekdays:
        rule = Rule("weekly", weekdays=weekdays)
    elif not weekdays_text:
        problem("日程ルール", N_("write the schedule here (or the weekdays in 曜日)"))
    if rule is not None and weekdays and rule.weekdays and weekdays != rule.weekdays:
        days = "・".join(WEEKDAY_CHARS[day] for day in rule.weekdays)
        problem(
            "曜日", N_("'{text}' does not match 日程ルール ({days})"), text=weekdays_text, days=days
        )
    start = _time_column(row, "開始時間", written_start, problem)
    end = _time_column(row, "終了時間", written_end, problem)
    if rule is None:
        return
    if rule.kind != IRREGULAR and start is None and not row.get("開始時間"):
        problem(
            "開始時間", N_("a start time is required unless the schedule is irregular (不定期)")
        )
    if start is not None and end is not None and end <= start:
        problem(
            "終了時間",
            N_("{end} is not after the start time {start}"),
            end=time_text(end),
            start=time_text(start),
        )
    values["schedule"] = rule.to_json()
    values["schedule_text"] = rule.text
    values["weekday_mask"] = rule.weekday_mask
    values["start_time"], values["end_time"] = start, end


class _Reporter(Protocol):
    def __call__(self, column: str, message: str, /, **params: object) -> None: ...


def _time_column(
    row: dict[str, str], column: str, written: time | None, problem: _Reporter
) -> time | None:
    text = row.get(column, "")
    if not text:
        return written
    try:
        value = parse_time(text)
    except ScheduleError as error:
        problem(column, error.message, **error.params)
        return None
    if written is not None and written != value:
        problem(
            column,
            N_("{text} differs from the time in 日程ルール ({written})"),
            text=text,
            written=time_text(written),
        )
    return value


def _coordinate(
    text: str, low: float, high: float, column: str, problem: _Reporter
) -> float | None:
    if not text:
        problem(column, REQUIRED)
        return None
    try:
        value = float(unicodedata.normalize("NFKC", text))
    except ValueError:
        problem(column, N_("'{text}' is not a number like 35.2646"), text=text)
        return None
    if not math.isfinite(value) or not low <= value <= high:
        swapped = column == "緯度" and math.isfinite(value) and abs(value) <= 180
        if swapped:
            why = N_("{text} is out of range ({low} to {high}); are 緯度 and 経度 swapped?")
        else:
            why = N_("{text} is out of range ({low} to {high})")
        problem(column, why, text=text, low=low, high=high)
        return None
    return value


def _check_in_town(
    latitude: float, longitude: float, districts: dict[str, District], problem: _Reporter
) -> None:
    if not districts:
        return
    nearest = min(
        distance_m(latitude, longitude, d.latitude, d.longitude) for d in districts.values()
    )
    if nearest > TOWN_REACH_M:
        problem(
            "緯度",
            N_(
                "({latitude}, {longitude}) is {km} km from the town; "
                "are 緯度 and 経度 swapped or mistyped?"
            ),
            latitude=latitude,
            longitude=longitude,
            km=round(nearest / 1000),
        )


def _check_lengths(values: dict[str, Any], problem: _Reporter) -> None:
    """Longer than the database column would fail mid-write; say so per row instead."""
    limits = {"name": ("名称", 120), "name_kana": ("名称_カナ", 200), "address": ("住所", 200),
              "venue": ("方書", 120), "phone": ("電話番号", 20), "organiser": ("主催者", 120),
              "fee": ("参加費", 80), "what_to_bring": ("持ち物", 200),
              "how_to_join": ("参加方法", 200), "accessibility": ("バリアフリー", 200),
              "community_area": ("地域", 80)}  # fmt: skip
    for key, (column, limit) in limits.items():
        if len(values.get(key) or "") > limit:
            problem(column, N_("longer than {limit} characters"), limit=limit)


def _flag(text: str, column: str, problem: _Reporter) -> bool:
    folded = unicodedata.normalize("NFKC", text).strip().casefold()
    if folded in _YES:
        return True
    if folded not in _NO:
        problem(column, N_("'{text}' is neither はい nor いいえ"), text=text)
    return False


def _code_of(text: str, labels: dict[str, str]) -> str | None:
    folded = unicodedata.normalize("NFKC", text).strip()
    for code, label in labels.items():
        if folded in (code, unicodedata.normalize("NFKC", label)):
            return code
    return None


def _items(text: str) -> list[str]:
    # 子育て中の親子 has no separator inside; 通いの場・体操 is a kind, never split here.
    return [item for item in _LIST_SEPARATORS.split(text) if item]


def _date(text: str) -> date | None:
    folded = unicodedata.normalize("NFKC", text).strip()
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", folded)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _write(
    session: Session,
    records: list[_Record],
    now: datetime,
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    existing = _existing(session, [record.code for record in records])
    created = updated = 0
    for record in records:
        salon = existing.get(record.code)
        if salon is None:
            salon = Salon(code=record.code, created_at=now)
            session.add(salon)
            created += 1
        else:
            updated += 1
        apply(salon, record.values, record.cancelled, now)
        if progress is not None:
            progress(1)
    session.flush()
    return created, updated


def check_row(
    session: Session, row: dict[str, str]
) -> tuple[dict[str, Any], set[date], list[Problem]]:
    """One salon in the CSV's columns (as the console's form gives it): its values and problems."""
    cleaned = {key: (value or "").strip() for key, value in row.items()}
    record, problems = _check(2, cleaned, _districts(session))
    return record.values, record.cancelled, problems


def apply(salon: Salon, values: dict[str, Any], cancelled: set[date], now: datetime) -> None:
    """Checked values onto a salon, its cancellations made exactly `cancelled`."""
    for key, value in values.items():
        setattr(salon, key, value)
    salon.updated_at = now
    _set_cancellations(salon, cancelled)


def _existing(session: Session, codes: list[str]) -> dict[str, Salon]:
    found: dict[str, Salon] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for salon in session.scalars(select(Salon).where(Salon.code.in_(chunk))):
            found[salon.code] = salon
    return found


def _set_cancellations(salon: Salon, days: set[date]) -> None:
    # Kept rows stay: deleting and re-adding a day in one flush would break its unique key.
    salon.cancellations = [c for c in salon.cancellations if c.day in days]
    kept = {c.day for c in salon.cancellations}
    for day in sorted(days - kept):
        salon.cancellations.append(SalonCancellation(day=day))


# --- export ------------------------------------------------------------------------------------


def export_csv(session: Session) -> str:
    """Every salon, whatever its status, in the import layout (so the file imports back).

    Text that would start a spreadsheet formula gets an apostrophe, which the import takes off.
    """
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for salon in session.scalars(select(Salon).order_by(Salon.code)):
        writer.writerow(csv_cells.record(row_of(salon)))
    return buffer.getvalue()


def row_of(salon: Salon) -> dict[str, str]:
    """A salon as one CSV row, every column filled."""
    rule = Rule.from_json(salon.schedule)
    return {
        "ID": salon.code,
        "名称": salon.name,
        "名称_カナ": salon.name_kana,
        "種類": KIND_LABELS[salon.kind],
        "地区": salon.district.name,
        "地域": salon.community_area,
        "住所": salon.address,
        "方書": salon.venue,
        "緯度": f"{salon.latitude:.6f}",
        "経度": f"{salon.longitude:.6f}",
        "電話番号": salon.phone,
        "主催者": salon.organiser,
        "曜日": ",".join(WEEKDAY_CHARS[day] for day in rule.weekdays),
        "開始時間": time_text(salon.start_time),
        "終了時間": time_text(salon.end_time),
        "日程ルール": rule.text,
        "祝日休み": _yes_no(salon.skip_holidays),
        "年末年始休み": _yes_no(salon.skip_year_end),
        "休止日": ";".join(c.day.isoformat() for c in salon.cancellations),
        "対象": "・".join(AUDIENCE_LABELS[code] for code in salon.audiences),
        "内容": salon.activities,
        "参加費": salon.fee,
        "持ち物": salon.what_to_bring,
        "参加方法": salon.how_to_join,
        "バリアフリー": salon.accessibility,
        "状態": STATUS_LABELS[salon.status],
        "最終確認日": salon.last_confirmed.isoformat() if salon.last_confirmed else "",
        "備考": salon.notes,
    }


def _yes_no(value: bool) -> str:
    return "はい" if value else "いいえ"
