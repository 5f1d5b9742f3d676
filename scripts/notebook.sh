#!/usr/bin/env bash
# examples/beacons.ipynb, executed on sample data so that it never rots.
#
#   scripts/notebook.sh           (CI) executes a copy of the notebook, checks
#                                 it ran without errors, and that its ranking
#                                 equals examples/beacons.sql's in DuckDB
#   scripts/notebook.sh --update  re-executes examples/beacons.ipynb in place,
#                                 refreshing its committed outputs (and its
#                                 SQL cell from examples/beacons.sql)
#
# Steps: installs Debian's jupyter-nbconvert, python3-ipykernel,
# python3-pandas and python3-matplotlib if missing (there is no pip here),
# builds pcap2table, makes the sample capture, converts it to CSV and
# Parquet (flows, beacons), executes the notebook on the CSV with
# `jupyter nbconvert --execute`, runs test/consumers/beacons_sql.mjs on the
# Parquet, and compares the two rankings: the same pairs in the same order,
# scores equal within 1e-9. Any difference exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- the sample data: switch here -------------------------------------
# generator: bench/beacons, a day of an office network with planted beacons
# capture:   CAPTURE, a small real capture whose beacons table has rows
# auto:      the generator when bench/beacons is there, else the capture
SAMPLE=${P2T_SAMPLE:-auto}
GENERATOR_ARGS=(-seed 1)
GENERATOR_MIN_CONNS=10
CAPTURE=pcap-parser--assets--wireshark_samples-test.pcapng # testdata/captures or ../shared/captures
CAPTURE_MIN_CONNS=3
TIMEOUT=300 # seconds per notebook cell
# ------------------------------------------------------------------------

NOTEBOOK=examples/beacons.ipynb
SQL=examples/beacons.sql
update=
case "${1:-}" in
  --update) update=1 ;;
  "") ;;
  *) echo "usage: scripts/notebook.sh [--update]" >&2; exit 2 ;;
esac
t0=$SECONDS

# ---- tools ---------------------------------------------------------------
# Debian's python3 (/usr/bin), not another one first on the PATH (pyenv):
# Debian's packages are installed for it, and its kernel runs the notebook.
PY=/usr/bin/python3
need=()
$PY -c 'import pandas' 2>/dev/null || need+=(python3-pandas)
$PY -c 'import matplotlib' 2>/dev/null || need+=(python3-matplotlib)
$PY -c 'import ipykernel' 2>/dev/null || need+=(python3-ipykernel)
$PY -c 'import nbconvert' 2>/dev/null || need+=(jupyter-nbconvert)
command -v node >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -d test/consumers/node_modules/@duckdb/node-api ]; then
  (cd test/consumers && npm ci --no-audit --no-fund --loglevel=error) # the lock file as committed
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/pcap2table" ./cmd/pcap2table

# ---- sample data -----------------------------------------------------------
if [ "$SAMPLE" = auto ]; then
  SAMPLE=capture
  [ -f bench/beacons/main.go ] && SAMPLE=generator
fi
case "$SAMPLE" in
  generator)
    cap=$work/sample.pcap
    go run ./bench/beacons -o "$cap" "${GENERATOR_ARGS[@]}" > "$work/truth.json" ||
      { echo "FAIL: go run ./bench/beacons (P2T_SAMPLE=capture uses $CAPTURE instead)"; exit 1; }
    export P2T_TRUTH=$work/truth.json # the notebook marks the planted beacons
    min=$GENERATOR_MIN_CONNS
    ;;
  capture)
    cap=testdata/captures/$CAPTURE
    [ -f "$cap" ] || cap=../shared/captures/$CAPTURE
    [ -f "$cap" ] || { echo "FAIL: $CAPTURE is in neither testdata/captures nor ../shared/captures"; exit 1; }
    min=$CAPTURE_MIN_CONNS
    ;;
  *) echo "P2T_SAMPLE must be auto, generator or capture, not $SAMPLE" >&2; exit 2 ;;
esac
data=$work/data
"$work/pcap2table" -q "$cap" --tables flows,beacons --beacon-min-conns "$min" --format csv -o "$data/csv/"
"$work/pcap2table" -q "$cap" --tables flows,beacons --beacon-min-conns "$min" --format parquet -o "$data/parquet/"
rows=$(($(wc -l < "$data/csv/beacons.csv") - 1))
echo "sample: $SAMPLE ($(basename "$cap"), --beacon-min-conns $min): $rows beacon rows, $(($(wc -l < "$data/csv/flows.csv") - 1)) flows"
[ "$rows" -gt 0 ] || { echo "FAIL: the sample has no beacon rows: the notebook would show nothing"; exit 1; }
# pandas reads flow_id as the integer it is, even by inference (no dtype
# given): the same digits as the CSV's text (ids stay below 2^53)
$PY - "$data/csv/flows.csv" <<'EOF'
import csv, sys
import pandas as pd
path = sys.argv[1]
df = pd.read_csv(path)
text = [r["flow_id"] for r in csv.DictReader(open(path, newline=""))]
assert str(df["flow_id"].dtype) == "int64", f"pandas infers flow_id as {df['flow_id'].dtype}"
bad = [t for t, v in zip(text, df["flow_id"]) if str(v) != t]
assert not bad, f"pandas changed {len(bad)} flow_ids, e.g. {bad[0]}"
print(f"pandas: {len(text)} flow_ids read exactly (int64, inferred)")
EOF

# ---- notebook checks, in Debian's python3 ---------------------------------------
# nbcheck sql NOTEBOOK: the cell tagged beacons-sql shows examples/beacons.sql
# nbcheck setsql NOTEBOOK: rewrites that cell from examples/beacons.sql
# nbcheck ran NOTEBOOK: every code cell ran, no error output, plots as PNG
nbcheck() {
  $PY - "$@" "$SQL" <<'EOF'
import json, sys
mode, path, sql_path = sys.argv[1:]
sql = open(sql_path, encoding="utf-8").read().strip()
nb = json.load(open(path, encoding="utf-8"))
cell_text = (
    "## The same ranking in DuckDB\n\n"
    "A user with DuckDB gets the same ranking from pcap2table's Parquet output "
    "(`pcap2table CAPTURE --tables flows,beacons -o out/`) with "
    "`examples/beacons.sql`, which the DuckDB command line runs as\n"
    "`duckdb -c \"SET VARIABLE dir = 'out';\" -c \".read examples/beacons.sql\"`. "
    "`scripts/notebook.sh` checks in CI that it returns the ranking above.\n\n"
    "```sql\n" + sql + "\n```"
)
tagged = [c for c in nb["cells"] if "beacons-sql" in c.get("metadata", {}).get("tags", [])]
if len(tagged) != 1 or tagged[0]["cell_type"] != "markdown":
    sys.exit(f"FAIL {path}: want one markdown cell tagged beacons-sql, have {len(tagged)}")
cell = tagged[0]
src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
if mode == "setsql":
    if src != cell_text:
        lines = cell_text.splitlines(keepends=True)
        cell["source"] = lines
        with open(path, "w", encoding="utf-8") as f:
            json.dump(nb, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"{path}: SQL cell rewritten from {sql_path}")
elif mode == "sql":
    if sql not in src:
        sys.exit(f"FAIL {path}: its SQL cell differs from {sql_path} (scripts/notebook.sh --update rewrites it)")
elif mode == "ran":
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        e = errors[0]
        sys.exit(f"FAIL {path}: {e.get('ename')}: {e.get('evalue')}")
    unrun = [i for i, c in enumerate(code) if c.get("execution_count") is None and c["source"]]
    if unrun:
        sys.exit(f"FAIL {path}: code cells {unrun} have not run")
    pngs = sum("image/png" in o.get("data", {}) for c in code for o in c.get("outputs", []))
    if pngs < 2:
        sys.exit(f"FAIL {path}: {pngs} embedded PNG plots, want at least 2")
    print(f"{path}: {len(code)} code cells ran, no errors, {pngs} plots")
EOF
}

# compare NOTEBOOK.csv SQL.csv: the same pairs in the same order, scores within 1e-9
compare() {
  $PY - "$@" <<'EOF'
import csv, math, sys
a_path, b_path = sys.argv[1:]
a = list(csv.reader(open(a_path, newline="")))
b = list(csv.reader(open(b_path, newline="")))
want = ["src_ip", "destination", "dst_port", "proto", "score"]
bad = []
for name, t in ((a_path, a), (b_path, b)):
    if not t or t[0] != want:
        bad.append(f"{name}: header {t[0] if t else None}, want {want}")
if not bad:
    if len(a) != len(b):
        bad.append(f"{len(a) - 1} rows in the notebook's ranking, {len(b) - 1} in the SQL's")
    if len(a) < 2:
        bad.append("the ranking is empty")
    for i, (x, y) in enumerate(zip(a[1:], b[1:]), 1):
        if x[:4] != y[:4]:
            bad.append(f"rank {i}: notebook {x[:4]}, SQL {y[:4]}")
            continue
        if x[4] == "" or y[4] == "":
            if x[4] != y[4]:
                bad.append(f"rank {i} {x[:4]}: score {x[4]!r} (notebook), {y[4]!r} (SQL)")
        elif not abs(float(x[4]) - float(y[4])) <= 1e-9:
            bad.append(f"rank {i} {x[:4]}: score {x[4]} (notebook), {y[4]} (SQL)")
if bad:
    print("FAIL: the notebook's ranking differs from examples/beacons.sql's:")
    print("\n".join("  " + s for s in bad))
    sys.exit(1)
print(f"the notebook's ranking equals examples/beacons.sql's ({len(a) - 1} pairs)")
EOF
}

# ---- execute -------------------------------------------------------------------
export P2T_DIR=$data/csv P2T_RANKING=$work/ranking-notebook.csv
export PYDEVD_DISABLE_FILE_VALIDATION=1 # quiets the kernel's debugger warnings
exec_args=(--to notebook --execute "--ExecutePreprocessor.timeout=$TIMEOUT" --log-level=WARN)
if [ -n "$update" ]; then
  nbcheck setsql "$NOTEBOOK"
  # in place; no execution timestamps, so that a refresh changes only what changed
  $PY -m nbconvert "${exec_args[@]}" --ExecutePreprocessor.record_timing=False --inplace "$NOTEBOOK"
  ran=$NOTEBOOK
else
  # a copy: CI never rewrites the committed notebook
  mkdir "$work/nb"
  cp "$NOTEBOOK" "$work/nb/beacons.ipynb"
  $PY -m nbconvert "${exec_args[@]}" --output executed.ipynb "$work/nb/beacons.ipynb"
  ran=$work/nb/executed.ipynb
  # the committed notebook keeps its outputs, from a run without errors
  nbcheck ran "$NOTEBOOK"
fi
nbcheck ran "$ran"
nbcheck sql "$NOTEBOOK"

# ---- the same ranking in DuckDB ---------------------------------------------------
node test/consumers/beacons_sql.mjs "$data/parquet" "$work/ranking-sql.csv"
compare "$P2T_RANKING" "$work/ranking-sql.csv"
echo "notebook: ok in $((SECONDS - t0)) s"
