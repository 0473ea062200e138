#!/usr/bin/env python3
"""Copy a clean `losstat simulate` export and plant, in the first visits, only the faults the
four LOS rules exist for, so that the filter counts of losstat and the peer can be compared on
something that is not all zeros. (`losstat simulate --dirty` also plants faults that only
losstat has rules for - malformed rows, duplicates, unknown indicators - which the peer, like
LOS, does not handle.) Deterministic: the same input gives the same output.

Planted, one visit each (in order of first appearance):
  0  blank authority on every row               -> missing_authority drops the visit
  1  authority padded with blanks               -> kept (surrounding blanks are not a name)
  2  every score 1                              -> all_ones drops the visit
  3  universal indicator 1.a removed            -> missing_universal drops the visit
  4  2.a scored "4,0"; 5: 2.a scored "4.0"      -> kept as the integer 4
  6  3.a scored "3.5"                           -> invalid_score, then missing_universal
  7  non-universal indicators scored "x"        -> invalid_score (ratings only)
  8  non-universal indicators scored "6"        -> invalid_score (ratings only)
  9  non-universal indicators scored ""         -> invalid_score (ratings only)
 10  1.a scored "0", every other score 1        -> invalid_score, then all_ones

Usage: inject_los_faults.py CLEAN.csv OUT.csv
"""
import csv
import sys

NON_UNIVERSAL = {"2.b", "2.d", "6.a", "6.b", "8.c", "9.d", "14.c"}


def plant(row, k, col):
    """Apply fault k (the index of the row's visit among the first visits) to one row; return
    the row, or None to delete it."""
    a, i, s = col["authority"], col["indicator"], col["score"]
    if k == 0:
        row[a] = ""
    elif k == 1:
        row[a] = "  " + row[a] + " "
    elif k == 2:
        row[s] = "1"
    elif k == 3 and row[i] == "1.a":
        return None
    elif k == 4 and row[i] == "2.a":
        row[s] = "4,0"
    elif k == 5 and row[i] == "2.a":
        row[s] = "4.0"
    elif k == 6 and row[i] == "3.a":
        row[s] = "3.5"
    elif k in (7, 8, 9) and row[i] in NON_UNIVERSAL:
        row[s] = {7: "x", 8: "6", 9: ""}[k]
    elif k == 10:
        row[s] = "0" if row[i] == "1.a" else "1"
    return row


def main(src, dst):
    with open(src, encoding="utf-8", newline="") as fin, \
            open(dst, "w", encoding="utf-8", newline="") as fout:
        reader, writer = csv.reader(fin), csv.writer(fout)
        header = next(reader)
        writer.writerow(header)
        col = {name: header.index(name) for name in ("authority", "visit_id", "indicator", "score")}
        seen = {}
        for row in reader:
            k = seen.setdefault(row[col["visit_id"]], len(seen))
            if k <= 10:
                row = plant(row, k, col)
            if row is not None:
                writer.writerow(row)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
