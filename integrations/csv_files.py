"""Reading and writing the CSV files of import and export: encodings, separators, columns.

A file is read as UTF-8 (with or without a byte-order mark) or, failing that, Windows-1252,
with `,` or `;` between cells (whichever makes the header a list of our columns). Anything else
(a binary file, an unknown column, a missing one, a broken quote) is a FileProblem whose message
says what to do. Cells that a spreadsheet would run as a formula (starting with = + - @) are
written with a leading apostrophe, which reading takes off again.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
SEPARATORS = (",", ";")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileProblem(Exception):
    """The file as a whole cannot be read; nothing is imported."""


@dataclass(frozen=True)
class Columns:
    known: tuple[str, ...]  # in the order of the template
    required: frozenset[str]
    ignored: frozenset[str] = frozenset()  # written by the export, not read back (derived)


def decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise FileProblem(
            "This is not a CSV file (it holds binary data). Save the sheet as “CSV UTF-8” "
            "and upload that."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise FileProblem(
            "The file is neither UTF-8 nor Windows-1252 text. Save the sheet as “CSV UTF-8” "
            "and upload that."
        ) from None


def header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_")


def read_rows(data: bytes, columns: Columns) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: cell}) for each row that is not blank; FileProblem for a file
    that cannot be read as a whole."""
    if len(data) > MAX_BYTES:
        raise FileProblem(
            f"The file is {len(data) / 1024 / 1024:.0f} MB; at most "
            f"{MAX_BYTES // 1024 // 1024} MB can be imported at once. Split it into smaller files."
        )
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    wanted = set(columns.known) | columns.ignored
    separator = max(
        SEPARATORS, key=lambda s: len({header_name(c) for c in first_line.split(s)} & wanted)
    )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        header = [header_name(c) for c in next(reader, [])]
        if not any(header):
            raise FileProblem("The file is empty: the first line should name the columns.")
        unknown = [c for c in header if c not in wanted]
        missing = sorted(columns.required - set(header))
        if unknown or missing:
            raise FileProblem(
                " ".join(
                    [f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."]
                    * bool(unknown)
                    + [f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}."]
                    * bool(missing)
                    + [f"The columns are: {', '.join(columns.known)} (see the template)."]
                )
            )
        if len(set(header)) != len(header):
            raise FileProblem("A column appears twice in the first line.")
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise FileProblem(
                    f"Line {reader.line_num} has {len(cells)} cells but the first line names "
                    f"{len(header)} columns (is a “{separator}” inside a cell not quoted?)."
                )
            values = {
                name: unescape(cell.strip()) for name, cell in zip(header, cells, strict=False)
            }
            yield reader.line_num, {k: v for k, v in values.items() if k not in columns.ignored}
    except csv.Error as e:
        raise FileProblem(f"Line {reader.line_num} cannot be read as CSV: {e}.") from None


def escape(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unescape(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def write(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file (UTF-8 with a byte-order mark, which spreadsheets need to see UTF-8)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([escape(v) for v in row] for row in rows)
    return out.getvalue()
