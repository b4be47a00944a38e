"""Importing the salon directory from CSV: every bad row reported, nothing half-imported."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

import locales
from bot.cli import main
from storage.db import Database
from storage.models import Salon
from storage.salon_csv import COLUMNS, ImportFailed, Problem, export_csv, import_csv
from storage.sample_town import HERE, load_town

NOW = datetime(2026, 11, 30, tzinfo=UTC)
SAMPLE = HERE / "salons.csv"

GOOD = {
    "ID": "T001",
    "名称": "ふれあいサロン「テスト」",
    "名称_カナ": "フレアイサロンテスト",
    "種類": "ふれあいサロン",
    "地区": "緑",
    "住所": "神奈川県小田原市（緑地区）1-2-3",
    "方書": "緑自治会館",
    "緯度": "35.2600",
    "経度": "139.1560",
    "電話番号": "0465-00-1234",
    "主催者": "緑地区社会福祉協議会",
    "曜日": "水",
    "開始時間": "10:00",
    "終了時間": "12:00",
    "日程ルール": "毎週水曜",
    "祝日休み": "はい",
    "年末年始休み": "はい",
    "休止日": "2026-12-09",
    "対象": "高齢者・どなたでも",
    "参加費": "100円",
    "状態": "活動中",
    "最終確認日": "2026-04-01",
}


def csv_bytes(rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS,
              encoding: str = "utf-8") -> bytes:  # fmt: skip
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


@pytest.fixture
def town(db: Database) -> Database:
    with db.transaction() as session:
        load_town(session)
    return db


def salon_count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Salon)) or 0


def problems_of(db: Database, raw: bytes) -> list[Problem]:
    with pytest.raises(ImportFailed) as failed, db.transaction() as session:
        import_csv(session, raw, NOW)
    return failed.value.problems


def where(problems: list[Problem]) -> set[tuple[int, str]]:
    return {(problem.row, problem.column) for problem in problems}


def test_a_good_row_becomes_a_salon_with_its_schedule(town: Database) -> None:
    with town.transaction() as session:
        result = import_csv(session, csv_bytes([GOOD]), NOW)
        assert (result.created, result.updated, result.encoding) == (1, 0, "utf-8")
        salon = session.scalars(select(Salon)).one()
        assert salon.district.name == "緑" and salon.community_area == "中部"
        assert (salon.start_time, salon.end_time) == (time(10), time(12))
        assert salon.weekday_mask == 1 << 2 and salon.skip_holidays and salon.skip_year_end
        assert salon.audiences == ["elderly", "anyone"]
        assert [c.day for c in salon.cancellations] == [date(2026, 12, 9)]


def test_reimporting_updates_by_id_and_never_duplicates(town: Database) -> None:
    raw = SAMPLE.read_bytes()
    with town.transaction() as session:
        first = import_csv(session, raw, NOW)
    assert first.created >= 60
    with town.transaction() as session:
        again = import_csv(session, raw, NOW)
    assert (again.created, again.updated) == (0, first.created)
    assert salon_count(town) == first.created
    with town.transaction() as session:
        changed = row(名称="新しい名前", 休止日="2026-12-16;2026-12-23")
        import_csv(session, csv_bytes([changed]), NOW)
        import_csv(session, csv_bytes([row(名称="新しい名前", 休止日="2026-12-23")]), NOW)
    with town.transaction() as session:
        salon = session.scalars(select(Salon).where(Salon.code == "T001")).one()
        assert salon.name == "新しい名前"
        assert [c.day for c in salon.cancellations] == [date(2026, 12, 23)]


def test_export_imports_back_to_the_same_file(town: Database, tmp_path: Path) -> None:
    with town.transaction() as session:
        import_csv(session, SAMPLE.read_bytes(), NOW)
        import_csv(session, csv_bytes([GOOD, row(ID="T002", 日程ルール="月1回（不定期・要問合せ）",
                                                 曜日="", 開始時間="", 終了時間="")]), NOW)  # fmt: skip
        exported = export_csv(session)
    with town.transaction() as session:
        result = import_csv(session, exported.encode("utf-8-sig"), NOW)
        assert result.created == 0
        assert export_csv(session) == exported
    assert "第2・第4金曜" in exported and "月1回（不定期・要問合せ）" in exported


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_shift_jis_and_utf8_with_bom_are_read(town: Database, encoding: str) -> None:
    raw = csv_bytes([GOOD], encoding=encoding)
    with town.transaction() as session:
        result = import_csv(session, raw, NOW)
        assert result.encoding == encoding
        assert session.scalars(select(Salon.name)).one() == "ふれあいサロン「テスト」"


def test_a_file_in_no_known_encoding_is_refused(town: Database) -> None:
    raw = csv_bytes([GOOD]).replace("テスト".encode(), b"\xff\xfe\xff")
    assert where(problems_of(town, raw)) == {(1, "")}


def test_missing_columns_are_named_and_nothing_is_imported(town: Database) -> None:
    columns = tuple(c for c in COLUMNS if c not in ("緯度", "開始時間"))
    problems = problems_of(town, csv_bytes([GOOD], columns=columns))
    assert where(problems) == {(1, "緯度"), (1, "開始時間")}
    assert "missing" in str(problems[0])
    assert salon_count(town) == 0


def test_every_bad_row_is_reported_and_nothing_is_half_imported(town: Database) -> None:
    rows = [
        row(ID="OK1"),
        row(ID="LAT", 緯度="三十五"),
        row(ID="RANGE", 経度="239.15"),
        row(ID="SWAP", 緯度="139.1560", 経度="35.2600"),
        row(ID="FAR", 緯度="34.2600"),
        row(ID="TIME", 開始時間="25:00"),
        row(ID="ORDER", 開始時間="12:00", 終了時間="10:00"),
        row(ID="PLACE", 地区="どこか"),
        row(ID="KIND", 種類="カラオケ"),
        row(ID="OK1"),
        row(ID="RULE", 日程ルール="隔週水曜", 曜日=""),
        row(ID="DAYS", 曜日="金"),
        row(ID="", 名称=""),
        row(ID="OFF", 休止日="12月9日"),
        row(ID="WHO", 対象="学生"),
    ]
    problems = problems_of(town, csv_bytes(rows))
    assert where(problems) == {
        (3, "緯度"),
        (4, "経度"),
        (5, "緯度"),
        (6, "緯度"),
        (7, "開始時間"),
        (8, "終了時間"),
        (9, "地区"),
        (10, "種類"),
        (11, "ID"),
        (12, "日程ルール"),
        (13, "曜日"),
        (14, "ID"),
        (14, "名称"),
        (15, "休止日"),
        (16, "対象"),
    }
    messages = {problem.row: str(problem) for problem in problems}
    assert messages[11] == "row 11, ID: duplicate ID 'OK1'; it is already on row 2"
    assert "swapped" in messages[5]
    assert "km from the town" in messages[6]
    assert salon_count(town) == 0


def test_a_failed_import_leaves_earlier_data_as_it_was(town: Database) -> None:
    with town.transaction() as session:
        import_csv(session, csv_bytes([GOOD]), NOW)
    problems_of(town, csv_bytes([row(名称="変更"), row(ID="BAD", 緯度="")]))
    with town.transaction() as session:
        assert session.scalars(select(Salon.name)).one() == GOOD["名称"]


def test_the_command_reports_each_problem_and_exits_nonzero(db_url: str, tmp_path: Path,
                                                             town: Database) -> None:  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([GOOD, row(ID="T002", 緯度="abc")], encoding="cp932"))
    runner = CliRunner()
    env = {"DATABASE_URL": db_url}
    failed = runner.invoke(main, ["salons", "import", str(bad)], env=env)
    assert failed.exit_code == 1
    # The council's staff run it: Japanese unless asked otherwise.
    assert "3行目 緯度: 「abc」は数値として読めません（例: 35.2646）" in failed.output
    assert "bad.csv に問題が 1 件あります。何も取り込んでいません" in failed.output
    assert salon_count(town) == 0
    good = tmp_path / "good.csv"
    good.write_bytes(SAMPLE.read_bytes())
    done = runner.invoke(main, ["salons", "import", str(good)], env=env)
    assert done.exit_code == 0, done.output
    assert "件追加、0 件更新しました（utf-8）" in done.output
    out = tmp_path / "out.csv"
    exported = runner.invoke(main, ["salons", "export", str(out), "--encoding", "cp932"], env=env)
    assert exported.exit_code == 0, exported.output
    assert out.read_bytes().decode("cp932").startswith("ID,名称,名称_カナ")


def test_the_command_reports_in_english_when_asked(db_url: str, tmp_path: Path,
                                                   town: Database) -> None:  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes([row(電話番号="でんわ"), row(ID="T002", 日程ルール="隔週水曜", 曜日="")])
    )
    env = {"DATABASE_URL": db_url}
    failed = CliRunner().invoke(main, ["salons", "import", str(bad), "--lang", "en"], env=env)
    assert failed.exit_code == 1
    assert "row 2, 電話番号: 'でんわ' is not a phone number like 0465-00-1234" in failed.output
    assert "row 3, 日程ルール: 隔週 cannot be computed" in failed.output
    assert "2 problem(s) in bad.csv; nothing was imported" in failed.output
    assert "行目" not in failed.output
    ja = CliRunner().invoke(main, ["salons", "import", str(bad)], env=env)
    assert "3行目 日程ルール: 「隔週水曜」: 隔週では日付を計算できません" in ja.output
    missing = tmp_path / "missing.csv"
    missing.write_bytes(csv_bytes([GOOD], columns=tuple(c for c in COLUMNS if c != "緯度")))
    header = CliRunner().invoke(main, ["salons", "import", str(missing)], env=env)
    assert "1行目 緯度: 見出し行にこの列がありません" in header.output
    done = CliRunner().invoke(main, ["salons", "import", str(SAMPLE), "--lang", "en"], env=env)
    assert done.exit_code == 0, done.output
    assert "salons added, 0 updated (utf-8" in done.output


def test_every_problem_in_a_bad_file_reads_in_japanese(town: Database) -> None:
    rows = [
        row(ID="A", 緯度="三十五", 経度="239.15", 開始時間="25:00", 地区="どこか", 種類="カラオケ"),
        row(ID="B", 緯度="139.1560", 経度="35.2600", 日程ルール="いつでも", 曜日="水よう"),
        row(ID="C", 緯度="34.2600", 開始時間="12:00", 終了時間="10:00", 休止日="12月9日"),
        row(ID="D", 日程ルール="毎週水曜 10:30-12:00", 対象="学生", 祝日休み="たぶん"),
        row(ID="E", 日程ルール="毎月32日", 曜日="", 状態="不明", 最終確認日="昨日", 電話番号="x"),
        row(ID="F", 日程ルール="第6水曜", 曜日="", 名称="名" * 121),
        row(ID="G", 日程ルール="", 曜日="", 開始時間="", 終了時間=""),
        row(ID="H", 日程ルール="毎週水曜 12:00-10:00", 曜日=""),
        row(ID="I", 日程ルール="毎週木曜", 曜日="水"),
        row(ID="A", 日程ルール="毎週水曜", 開始時間=""),
        row(ID="J", 名称="", 日程ルール="隔週水曜", 曜日="", 終了時間="夕方"),
    ]
    problems = problems_of(town, csv_bytes(rows))
    # Nearly every reason the import gives, schedule reader's included, is in this file.
    assert len({problem.message for problem in problems}) >= 27
    for problem in problems:
        japanese = locales.gettext("ja", problem.message, **problem.params)
        assert japanese != problem.why, f"no Japanese for {problem.message!r}"
        assert "{" not in japanese


def test_a_list_of_allowed_values_reads_as_a_list_in_each_language(town: Database) -> None:
    (problem,) = problems_of(town, csv_bytes([row(種類="カラオケ")]))
    japanese = locales.gettext("ja", problem.message, **problem.params)
    assert "ふれあいサロン、子育てサロン、通いの場・体操" in japanese
    assert "ふれあいサロン, 子育てサロン, 通いの場・体操" in problem.why
    assert "ふれあいサロン, 子育てサロン" in locales.gettext(
        "en", problem.message, **problem.params
    )
