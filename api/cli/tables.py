"""Tables that fit the terminal, and the same tables as CSV (`--csv PATH|-` on every command that prints one).

A Rich table squeezed below its natural width cuts numbers and names mid-word ("1,3…"). Here a table whose words do
not fit the terminal is printed in column blocks (the first column, the row labels, repeated in each block), each
block no wider than the terminal, so every cell is printed whole (long texts wrap at spaces). Wide tables whose rows
are few long things (scenarios, years) are better read transposed: `show_table(..., transpose=True)`.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.errors import MarkupError
from rich.table import Table
from rich.text import Text

_NUMBER = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")
CSV_HELP = "Also write the table as CSV to PATH; '-' writes the CSV to stdout instead of the table"


def plain(cell: object) -> str:
    """A cell's text without Rich markup or styles."""
    if isinstance(cell, Text):
        return cell.plain
    if isinstance(cell, str):
        try:
            return Text.from_markup(cell).plain
        except MarkupError:
            return cell
    return str(cell)


def table_cells(table: Table) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a table as plain text."""
    headers = [plain(column.header) for column in table.columns]
    columns = [[plain(cell) for cell in column.cells] for column in table.columns]
    return headers, [list(row) for row in zip(*columns, strict=True)] if columns else []


def table_csv(table: Table) -> str:
    """The table as CSV text (header row first; one line per header, line breaks in headers become spaces)."""
    headers, rows = table_cells(table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([" ".join(header.split()) for header in headers])
    writer.writerows([[_csv_value(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def _csv_value(cell: str) -> str:
    """A cell as a spreadsheet reads it: '12,584' -> '12584' (thousands separators dropped), indent stripped."""
    text = cell.strip()
    return text.replace(",", "") if _NUMBER.fullmatch(text) else text


def _breakable(label: str) -> str:
    """A long hyphenated name (a scenario such as phase2-special-expansion) as a header that can break after its
    hyphens instead of being cut mid-word."""
    return "\n".join(part.replace("-", "-\n") if len(part) > 12 else part for part in label.split("\n"))


def transposed(table: Table, corner: str = "") -> Table:
    """Rows become columns: the first column's cells head the new columns, the other headers label the rows."""
    headers, rows = table_cells(table)
    flipped = Table(title=table.title, title_style=table.title_style, caption=table.caption)
    flipped.add_column(corner or headers[0])
    for row in rows:
        flipped.add_column(_breakable(row[0]), justify="right")
    for index, header in enumerate(headers[1:], start=1):
        flipped.add_row(" ".join(header.split()), *[row[index] for row in rows])
    return flipped


def _min_width(texts: list[str]) -> int:
    """The narrowest a column can be without cutting a word: its longest word, plus the cell padding."""
    words = [len(word) for text in texts for line in text.split("\n") for word in line.split()]
    return max(words, default=1) + 2


def column_blocks(table: Table, width: int) -> list[Table]:
    """The table as blocks of columns that each fit `width` (the first column repeated); [table] if it fits."""
    headers, rows = table_cells(table)
    widths = [_min_width([header, *column]) for header, column in zip(headers, zip(*rows, strict=True), strict=True)] \
        if rows else [_min_width([header]) for header in headers]
    if len(widths) <= 2 or sum(widths) + len(widths) + 1 <= width:
        return [table]
    blocks: list[list[int]] = [[]]
    for index in range(1, len(widths)):
        used = widths[0] + sum(widths[i] for i in blocks[-1]) + len(blocks[-1]) + 2
        if blocks[-1] and used + widths[index] + 1 > width:
            blocks.append([])
        blocks[-1].append(index)
    return [_block(table, [0, *block], number, len(blocks)) for number, block in enumerate(blocks, start=1)]


def _block(table: Table, indexes: list[int], number: int, count: int) -> Table:
    title = f"{table.title or ''} ({number} of {count})".strip()
    block = Table(title=title, title_style=table.title_style, caption=table.caption if number == count else None)
    columns = [table.columns[i] for i in indexes]
    for column in columns:
        block.add_column(column.header, justify=column.justify, style=column.style, no_wrap=False)
    cells = [list(column.cells) for column in columns]
    for row_index, row in enumerate(table.rows):
        block.add_row(*[cells[c][row_index] for c in range(len(columns))], style=row.style,
                      end_section=row.end_section)
    return block


def show_table(table: Table, csv_target: str | None = None, *, transpose: bool = False, corner: str = "") -> None:
    """Print a table on stdout fitted to the terminal; with `csv_target` also write it as CSV to that path, or with
    '-' write only the CSV to stdout (the table's data as built, not transposed)."""
    if csv_target == "-":
        typer.echo(table_csv(table), nl=False)
        return
    console = Console()
    for block in column_blocks(transposed(table, corner) if transpose else table, console.width):
        console.print(block)
    if csv_target:
        write_csv(table, Path(csv_target))


def write_csv(table: Table, path: Path) -> None:
    """Write the table as CSV; a note on stderr says where."""
    path.write_text(table_csv(table), encoding="utf-8")
    Console(stderr=True, highlight=False).print(f"wrote {path}", soft_wrap=True)


def results_console(csv_target: str | None) -> Console:
    """Where a command prints its other result lines: stdout, or stderr when stdout carries the CSV (`--csv -`)."""
    return Console(stderr=csv_target == "-", highlight=False)


CsvOption = Annotated[str | None, typer.Option("--csv", metavar="PATH|-", help=CSV_HELP)]
