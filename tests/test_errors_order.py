"""InputError lists its problems in the order a reader goes through the file."""

from impact.errors import InputError, Problem


def test_problems_print_by_file_then_table_level_then_row_with_the_summary_last():
    found = [
        Problem("a.csv", 9, "x", "1", "a number"),
        Problem("a.csv", None, None, "5 more problems not shown", "fewer problems"),
        Problem("b.csv", 2, "y", "2", "a date"),
        Problem("a.csv", 3, "z", "3", "0 or 1"),
        Problem("a.csv", None, "w", None, "a column w"),
        Problem("a.csv", 3, "q", "4", "a county"),
    ]
    err = InputError(found, title="bad")
    lines = str(err).splitlines()[1:]
    rows = [(p.file, p.row, p.column) for p in err.ordered]
    assert rows == [("a.csv", None, "w"), ("a.csv", 3, "z"), ("a.csv", 3, "q"), ("a.csv", 9, "x"),
                    ("a.csv", None, None), ("b.csv", 2, "y")]
    assert err.problems == found  # the list as found is kept; only the printed order changes
    assert lines == [str(p) for p in err.ordered]
