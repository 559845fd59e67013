#!/usr/bin/env python3
"""Prints columns of an amfm CSV table by header name, so that scripts reading a table do not
depend on column positions (a new column cannot shift them):
  scripts/csv_columns.py TABLE.csv KIND COLUMN [COLUMN ...]
One line per row whose `kind` column is KIND, the named columns in the order given, separated
by tabs (CSV quoting undone). Exits 2 naming the file and the column when a column is missing."""
import csv
import sys

if len(sys.argv) < 4:
    sys.exit(__doc__)
path, kind, columns = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path, newline="") as f:
    reader = csv.DictReader(f)
    for name in ["kind"] + columns:
        if name not in (reader.fieldnames or []):
            print(f"{path}: no column '{name}' (columns: {', '.join(reader.fieldnames or [])})", file=sys.stderr)
            sys.exit(2)
    for row in reader:
        if row["kind"] == kind:
            print("\t".join(row[c] for c in columns))
