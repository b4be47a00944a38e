"""Bring the catalogs up to date and fill in translations: `python locales/translate.py [FILE.json]`.

FILE.json maps English message ids to Japanese: {"Ask for help": "相談する"}. The script
re-extracts every string (as update.sh does), writes the Japanese given, makes each English
entry its own id, and lists what is still missing. Several people (or agents) may run it at
once: a file lock keeps one writer at a time, so nobody's translations overwrite another's.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent
ROOT = LOCALES.parent


def _load(language: str) -> tuple[Path, Catalog]:
    path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        return path, read_po(file, locale=language)


def _save(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as file:
        write_po(file, catalog, width=100, sort_output=True, omit_header=False)


def _missing(catalog: Catalog) -> list[str]:
    return sorted(m.id for m in catalog if m.id and (not m.string or "fuzzy" in m.flags))


def main(argv: list[str]) -> int:
    given: dict[str, str] = {}
    if argv:
        given = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    with (LOCALES / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # pybabel from the same environment as this Python, venv or not.
        path_with_venv = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        subprocess.run(
            ["bash", str(LOCALES / "update.sh")],
            cwd=ROOT,
            check=True,
            env={**os.environ, "PATH": path_with_venv},
        )
        path, english = _load("en")
        for message in english:
            if message.id:
                message.string = message.id
                message.flags.discard("fuzzy")
        _save(path, english)
        path, japanese = _load("ja")
        for message in japanese:
            if message.id in given:
                message.string = given[message.id]
                message.flags.discard("fuzzy")
        _save(path, japanese)
        missing = _missing(japanese)
    for message_id in missing:
        print(f"ja lacks: {message_id!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
