"""Tables that fit the terminal, and the same tables as CSV (`--csv PATH|-` on every command that prints one).

A Rich table squeezed below its natural width cuts numbers and names mid-word ("1,3…"). Here a table whose words do
not fit the terminal is printed in column blocks (the first column, the row labels, repeated in each block), each
block no wider than the terminal, so every cell is printed whole (long texts wrap at spaces). Wide tables whose rows
are few long things (scenarios, years) are better read transposed: `show_table(..., transpose=True)`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.errors import MarkupError
from rich.table import Table
from rich.text import Text

from planner.io.cells import safe_csv_writer

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
    writer = safe_csv_writer(buffer, lineterminator="\n")  # every cell escaped (planner.io.cells)
    writer.writerow([" ".join(header.split()) for header in headers])
    writer.writerows([[_csv_value(cell) for cell in row] for row in rows])
    return buffer.getvalue()


def _csv_value(cell: str) -> str:
    """A cell as a spreadsheet reads it: '12,584' -> '12584' (thousands separators dropped), indent stripped; the
    writer escapes text a spreadsheet would run as a formula (planner.io.cells, OWASP CSV injection)."""
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


def _widths(texts: list[str]) -> tuple[int, int, int]:
    """A column's narrowest width without cutting a word (its longest word), the width its cells need unwrapped
    (the header may wrap at spaces) and its natural width (its longest line), each with the cell padding."""
    lines = [line for text in texts for line in text.split("\n")]
    words = [len(word) for line in lines for word in line.split()]
    cells = [len(line) for text in texts[1:] for line in text.split("\n")]
    narrow = max(words, default=1) + 2
    return narrow, max(narrow, max(cells, default=1) + 2), max((len(line) for line in lines), default=1) + 2


def _keeps_whole(table: Table, index: int, cells: list[str]) -> bool:
    """Right-aligned columns (figures) and columns of single words (ids, codes, dates) are never wrapped or cut;
    columns of texts wrap at spaces."""
    return table.columns[index].justify == "right" or not any(len(cell.split()) > 1 for cell in cells)


def column_blocks(table: Table, width: int) -> list[Table]:
    """The table as blocks of columns that each fit `width` (the first column repeated); [table] if it fits.
    Figures, ids and codes are kept whole (never wrapped or cut); texts wrap at spaces, never mid-word."""
    headers, rows = table_cells(table)
    columns = [[header, *(row[index] for row in rows)] for index, header in enumerate(headers)]
    measured = [_widths(texts) for texts in columns]
    if sum(natural for _, _, natural in measured) + len(measured) + 1 <= width:
        return [table]
    whole = [_keeps_whole(table, index, texts[1:]) for index, texts in enumerate(columns)]
    needed = [unwrapped if whole[i] else narrow for i, (narrow, unwrapped, _) in enumerate(measured)]
    blocks: list[list[int]] = [[]]
    for index in range(1, len(needed)):
        used = needed[0] + sum(needed[i] for i in blocks[-1]) + len(blocks[-1]) + 2
        if blocks[-1] and used + needed[index] + 1 > width:
            blocks.append([])
        blocks[-1].append(index)
    naturals = [natural for _, _, natural in measured]
    return [_block(table, [0, *block], _fitted([needed[i] for i in [0, *block]], [naturals[i] for i in [0, *block]],
                                               width - len(block) - 2), number, len(blocks))
            for number, block in enumerate(blocks, start=1)]


def _fitted(needed: list[int], naturals: list[int], room: int) -> list[int]:
    """Column widths (with padding) filling `room`: each at least what it needs, the spare shared out one character
    at a time to the column furthest below its natural width."""
    widths = list(needed)
    spare = room - sum(widths)
    while spare > 0:
        short = [(naturals[i] - widths[i], i) for i in range(len(widths)) if widths[i] < naturals[i]]
        if not short:
            break
        widths[max(short)[1]] += 1
        spare -= 1
    return widths


def _block(table: Table, indexes: list[int], widths: list[int], number: int, count: int) -> Table:
    title = f"{table.title or ''} ({number} of {count})".strip() if count > 1 else table.title
    block = Table(title=title, title_style=table.title_style, caption=table.caption if number == count else None)
    for index, width in zip(indexes, widths, strict=True):
        column = table.columns[index]
        block.add_column(column.header, justify=column.justify, style=column.style, width=width - 2)
    cells = [list(table.columns[index].cells) for index in indexes]
    for row_index, row in enumerate(table.rows):
        block.add_row(*[cells[c][row_index] for c in range(len(indexes))], style=row.style,
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


def print_fitted(console: Console, table: Table) -> None:
    """Print a table on `console` (e.g. a report on stderr) in blocks that fit its width."""
    for block in column_blocks(table, console.width):
        console.print(block)


def write_csv(table: Table, path: Path) -> None:
    """Write the table as CSV; a note on stderr says where."""
    path.write_text(table_csv(table), encoding="utf-8")
    Console(stderr=True, highlight=False).print(f"wrote {path}", soft_wrap=True)


def results_console(csv_target: str | None) -> Console:
    """Where a command prints its other result lines: stdout, or stderr when stdout carries the CSV (`--csv -`)."""
    return Console(stderr=csv_target == "-", highlight=False, soft_wrap=True)


CsvOption = Annotated[str | None, typer.Option("--csv", metavar="PATH|-", help=CSV_HELP)]
