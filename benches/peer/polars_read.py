#!/usr/bin/env python3
"""The floor for reading the input: time polars' pl.read_csv on the whole file (all columns,
default options, all cores) inside one process, and print the seconds and the row count.

compare_peer.sh runs this once per round beside losstat and the peer and reports the median;
interpreter start-up and `import polars` are outside the timed span, so this is the bare read.

Usage: polars_read.py INPUT.csv
"""
import sys
import time

import polars as pl


def main(path):
    start = time.perf_counter()
    df = pl.read_csv(path)
    seconds = time.perf_counter() - start
    print(f"{seconds:.6f} {df.height}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
