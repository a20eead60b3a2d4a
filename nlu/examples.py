"""Labelled messages for training and evaluation, from a CSV file or any other source.

A CSV has a header with ``text`` and ``label`` columns and optionally ``title`` (other columns
are ignored). The title is joined to the text with a newline, which is how the service sees a
message with a subject line. A label is a category of :mod:`config.taxonomy` at any level: a
first-level name, a full ``"一级/二级"`` path, or a second-level name that only one first level
has. Every problem comes with the rows it was found in.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from config.taxonomy import first_level_names
from nlu.model import resolve_label

REQUIRED_COLUMNS = ("text", "label")
_SHOWN_ROWS = 5
_SHOWN_LABELS = 20


class DataError(ValueError):
    """Training or evaluation data that cannot be used; the message names the rows."""


@dataclass(frozen=True)
class Example:
    """One message and its category; ``label`` is as the taxonomy knows it (see module doc)."""

    text: str
    label: str
    source: str = ""


def _rows(numbers: list[str]) -> str:
    shown = ", ".join(numbers[:_SHOWN_ROWS])
    return shown + (f" and {len(numbers) - _SHOWN_ROWS} more" if len(numbers) > _SHOWN_ROWS else "")


def label_examples(pairs: Iterable[tuple[str, str]], *, where: str = "item") -> list[Example]:
    """Examples from ``(text, label)`` pairs, with labels resolved against the taxonomy.

    ``where`` names a pair in error messages ("row" for a CSV whose first data row is row 2).
    Raises :class:`DataError` listing every unknown label and empty text, with where it is.
    """
    examples: list[Example] = []
    unknown: dict[str, list[str]] = {}
    empty: list[str] = []
    for number, (text, label) in enumerate(pairs, start=2 if where == "row" else 1):
        place = f"{number}"
        resolved = resolve_label(label or "")
        if not (text or "").strip():
            empty.append(place)
        elif resolved is None:
            unknown.setdefault((label or "").strip(), []).append(place)
        else:
            examples.append(Example(text=text, label=resolved, source=f"{where} {number}"))
    problems: list[str] = []
    if unknown:
        listed = "; ".join(
            f"{label or '(empty)'!r} ({where} {_rows(numbers)})"
            for label, numbers in list(unknown.items())[:_SHOWN_LABELS]
        )
        more = len(unknown) - _SHOWN_LABELS
        problems.append(
            f"{len(unknown)} unknown label{'s' if len(unknown) > 1 else ''}: {listed}"
            + (f" and {more} more" if more > 0 else "")
            + ". A label is a first-level name ("
            + "、".join(first_level_names()[:3])
            + " …), a path such as 城乡建设/物业管理, or a second-level name"
        )
    if empty:
        problems.append(f"empty text in {where} {_rows(empty)}")
    if problems:
        raise DataError("; ".join(problems))
    return examples


def _message(row: dict[str, str | None], has_title: bool) -> str:
    """Title and text as the service sees them: the subject line, a newline, the body."""
    title = (row.get("title") or "").strip() if has_title else ""
    text = row.get("text") or ""
    return f"{title}\n{text}" if title and text.strip() else title or text


def read_csv(path: str | Path) -> list[Example]:
    """Examples from a CSV file with ``text,label`` or ``title,text,label`` columns."""
    path = Path(path)
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise DataError(f"{path} is not UTF-8 text (byte {error.start})") from error
    if not content.strip():
        raise DataError(f"{path} is empty")
    reader = csv.DictReader(content.splitlines(keepends=True))
    columns = [name.strip().lower() for name in reader.fieldnames or ()]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise DataError(
            f"{path} lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
            f"its header is {','.join(reader.fieldnames or ())!r}; "
            "expected text,label or title,text,label"
        )
    reader.fieldnames = columns
    has_title = "title" in columns
    try:
        pairs = [(_message(row, has_title), row["label"] or "") for row in reader]
    except csv.Error as error:
        raise DataError(f"{path}: {error}") from error
    if not pairs:
        raise DataError(f"{path} has a header but no rows")
    try:
        return label_examples(pairs, where="row")
    except DataError as error:
        raise DataError(f"{path}: {error}") from error
