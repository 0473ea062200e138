#!/usr/bin/env bash
# Executes notebooks/los_replication.ipynb headlessly against a release build of losstat, so the
# notebook cannot rot. Called by .ci/run. It is also the one command to run the notebook locally.
#
#   scripts/notebook-check.sh                                  # builds the release binary first
#   LOSSTAT_BIN=target/release/losstat scripts/notebook-check.sh   # tests this binary, no build
#
# Checks, in order, all reported before the exit:
#   1. the .ipynb is stripped: no outputs, no execution counts;
#   2. its cells equal those of its jupytext pair, notebooks/los_replication.py;
#   3. it runs top to bottom without an error in a fresh kernel. The notebook's own asserts tie
#      its numbers to losstat's outputs and to SciPy, so a drift in those fails here too.
# The repository is not written to: the kernel works in notebooks/ but writes to a temporary
# directory.
#
# Environment:
#   LOSSTAT_BIN                the losstat binary to test (default: `cargo build --release --locked`,
#                              then $CARGO_TARGET_DIR/release/losstat, else target/release/losstat)
#   LOSSTAT_NOTEBOOK_VENV      the Python venv (default ~/.cache/losstat/notebook-venv). It is built
#                              from notebooks/requirements.txt and reused while that file and the
#                              Python version are unchanged
#   PYTHON                     the interpreter that makes the venv (default python3)
#   NOTEBOOK_CELL_TIMEOUT      seconds one cell may take (default 300)
#   LOSSTAT_NOTEBOOK_EXECUTED  if set, the executed notebook (with outputs) is saved to this path
#
# Exit status: 0 if every check passed, 1 otherwise (the reason is printed).
set -euo pipefail

say() { echo "notebook-check: $*"; }
die() {
  echo "notebook-check: FAILED: $*" >&2
  exit 1
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
notebook="$repo/notebooks/los_replication.ipynb"
paired="$repo/notebooks/los_replication.py"
requirements="$repo/notebooks/requirements.txt"
for f in "$notebook" "$paired" "$requirements"; do
  [[ -f "$f" ]] || die "missing $f"
done

# --- the binary -------------------------------------------------------------------------------
if [[ -n "${LOSSTAT_BIN:-}" ]]; then
  bin="$LOSSTAT_BIN"
else
  say "building the release binary (cargo build --release --locked)"
  (cd "$repo" && cargo build --release --locked) || die "cargo build --release failed"
  target="${CARGO_TARGET_DIR:-$repo/target}"
  [[ "$target" == /* ]] || target="$repo/$target"
  bin="$target/release/losstat"
fi
[[ -f "$bin" && -x "$bin" ]] || die "no executable losstat binary at $bin"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
export LOSSTAT_BIN="$bin"
say "binary: $bin ($("$bin" --version))"

# --- the venv ---------------------------------------------------------------------------------
python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || die "$python not found (set PYTHON to a Python 3.11 interpreter)"
venv="${LOSSTAT_NOTEBOOK_VENV:-$HOME/.cache/losstat/notebook-venv}"
kernel="losstat-notebook"
stamp_file="$venv/.losstat-notebook-stamp"
# The stamp covers the requirements, the interpreter, and this script's install recipe (v1).
stamp="$({
  echo "install recipe v1, kernel $kernel"
  sha256sum <"$requirements"
  "$python" -c 'import sys; print(sys.version)'
} | sha256sum | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]]; then
  say "reusing the venv $venv"
else
  if [[ -e "$venv" && ! -f "$venv/pyvenv.cfg" && -n "$(ls -A "$venv" 2>/dev/null)" ]]; then
    die "$venv exists and is not a venv: remove it or set LOSSTAT_NOTEBOOK_VENV"
  fi
  say "creating the venv $venv from notebooks/requirements.txt"
  started=$SECONDS
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv --clear "$venv" || die "could not create the venv $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" ||
    die "pip install -r notebooks/requirements.txt failed"
  # A kernelspec inside the venv, under a name of its own, so the notebook runs on this venv's
  # Python whatever kernels the user has installed.
  "$venv/bin/python" -m ipykernel install --sys-prefix --name "$kernel" \
    --display-name "Python 3 (losstat notebooks)" >/dev/null || die "could not install the kernelspec"
  echo "$stamp" >"$stamp_file"
  say "venv ready in $((SECONDS - started)) s"
fi

# --- the checks -------------------------------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/losstat-notebook-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
export JUPYTER_RUNTIME_DIR="$tmp/runtime" IPYTHONDIR="$tmp/ipython" PYDEVD_DISABLE_FILE_VALIDATION=1

if "$venv/bin/python" - "$notebook" "$paired" "$repo/notebooks" "$kernel" \
  "${NOTEBOOK_CELL_TIMEOUT:-300}" "$tmp" "${LOSSTAT_NOTEBOOK_EXECUTED:-}" <<'PY'
import os
import re
import sys
import time

import jupytext
import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

notebook, paired, workdir, kernel, timeout, tmp, executed_out = sys.argv[1:8]
name = os.path.relpath(notebook, os.path.dirname(workdir))
pair_name = os.path.relpath(paired, os.path.dirname(workdir))
failures = []
ansi = re.compile(r"\x1b\[[0-9;]*m")  # IPython colours its tracebacks; CI logs want plain text

nb = nbformat.read(notebook, as_version=4)
nbformat.validate(nb)

# 1. Stripped: outputs and execution counts stay out of git.
dirty = [
    i
    for i, cell in enumerate(nb.cells, 1)
    if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
]
if dirty:
    failures.append(
        f"{name}: code cells {dirty} carry outputs or execution counts. Regenerate the stripped "
        f"notebook from its pair: jupytext --to ipynb {pair_name}"
    )

# 2. In sync with the jupytext pair (cell types and sources; ids and metadata may differ).
def cells(n):
    return [(c.cell_type, c.source.strip()) for c in n.cells]

ours, theirs = cells(nb), cells(jupytext.read(paired))
if ours != theirs:
    first = next(
        (i for i, (a, b) in enumerate(zip(ours, theirs), 1) if a != b), min(len(ours), len(theirs)) + 1
    )
    failures.append(
        f"{name} and {pair_name} differ (first at cell {first}; {len(ours)} vs {len(theirs)} cells). "
        f"Edit one and run: jupytext --sync {name}"
    )

# 3. Executes top to bottom in a fresh kernel, which nbclient starts and shuts down. IPC
# transport: no TCP ports (and no warning about unencrypted TCP).
class IpcKernelManager(AsyncKernelManager):
    def __init__(self, **kwargs):
        super().__init__(transport="ipc", ip=os.path.join(tmp, "kernel"), **kwargs)


client = NotebookClient(
    nb,
    kernel_name=kernel,
    kernel_manager_class=IpcKernelManager,
    timeout=int(timeout),
    startup_timeout=120,
    resources={"metadata": {"path": workdir}},
)
started = time.perf_counter()
try:
    client.execute()
    code_cells = sum(c.cell_type == "code" for c in nb.cells)
    print(f"notebook-check: {name}: {code_cells} code cells ran in {time.perf_counter() - started:.1f} s")
except CellExecutionError as error:
    failures.append(f"{name} raised an error while executing:\n{ansi.sub('', str(error))}")
except CellTimeoutError as error:
    failures.append(f"{name}: a cell ran longer than {timeout} s (NOTEBOOK_CELL_TIMEOUT):\n{ansi.sub('', str(error))}")
except DeadKernelError as error:
    failures.append(f"{name}: the kernel died: {error}")
finally:
    if executed_out:
        nbformat.write(nb, executed_out)
        print(f"notebook-check: executed notebook saved to {executed_out}")

if failures:
    for failure in failures:
        print(f"notebook-check: FAILED: {failure}", file=sys.stderr)
    sys.exit(1)
PY
then
  say "passed"
else
  exit 1
fi
