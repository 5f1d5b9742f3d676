#!/usr/bin/env bash
# Runs every test of pcap2table on a fresh Debian machine with Go: installs
# what the tests need (jq, and gcc for -race, from Debian; DuckDB, polars
# and Arrow JS from npm), then checks formatting, vet, staticcheck, unit/conformance/golden tests,
# short fuzzing of every parser, reads outputs back with real consumers, and
# runs the fault suite (scripts/faults.sh: mounts a small tmpfs as root),
# the Beam pipeline's module (scripts/beam.sh), the HTML report in
# headless chromium (scripts/browser.sh) and the notebook (scripts/notebook.sh), each a step of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v jq >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
fi
if ! command -v gcc >/dev/null; then # go test -race needs cgo
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null
fi
if ! command -v node >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
(cd test/consumers && npm ci --no-audit --no-fund --loglevel=error) # the lock file as committed, never rewritten

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './test/*'))
[ -z "$unformatted" ] || { echo "gofmt needed: $unformatted"; exit 1; }
echo "== go vet"
go vet ./...
echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

echo "== go test"
go test -count=1 ./...
echo "== go test -race (the pipeline: decoding, tracking and writing goroutines)"
go test -race -count=1 . ./cmd/...

echo "== fuzz (a few seconds each)"
# Each target runs a fixed number of inputs (about 3-6 s here), not a
# duration: with -fuzztime=5s, Go 1.26's fuzz coordinator sometimes
# reports "context deadline exceeded" as a failure when the time runs out
# (golang/go#75804, fixed in Go 1.27), which was the FuzzTLS "flake".
# FUZZTIME=10m scripts/test.sh fuzzes each target for that long instead.
# A failure that saved an input under testdata/fuzz is a real finding.
fuzz() {
  local pkg=$1 name=$2 n=$3 log
  log=$(mktemp)
  if go test -run='^$' -fuzz="^$name\$" -fuzztime="${FUZZTIME:-${n}x}" "$pkg" > "$log" 2>&1; then
    echo "ok $name"; rm -f "$log"; return 0
  fi
  echo "fuzz $name failed:"; tail -20 "$log"
  if [ -n "$(git status --porcelain -- "$pkg/testdata/fuzz" 2>/dev/null)" ]; then
    echo "a failing input was saved in $pkg/testdata/fuzz/$name"
  fi
  exit 1
}
fuzz ./sniff FuzzOpen 40000
fuzz ./parsers/capture FuzzPcap 60
fuzz ./parsers/capture FuzzPcapng 20000
fuzz ./parsers FuzzDecode 40000
fuzz ./parsers FuzzAppendAddr 40000
fuzz ./writers FuzzAppendJSONString 10000
fuzz ./flows FuzzTracker 2000
fuzz ./protocols/dns FuzzDNS 10000
fuzz ./protocols/http FuzzHTTP 40000
fuzz ./protocols/tls FuzzTLS 8000
fuzz ./protocols/tls FuzzQUIC 30
fuzz ./protocols/tls FuzzDTLS 10000
fuzz ./parsers/capture FuzzSnoop 20000
fuzz ./filter FuzzCompile 20000
fuzz ./filter FuzzMatch 20000
fuzz ./beacons FuzzParseAllow 20000

echo "== corpus sweep (every table on every shared capture: no panic, timeout or memory blow-up)"
corpus=testdata/captures
[ -d ../shared/captures ] && corpus=../shared/captures
sweep=$(mktemp)
if ! scripts/sweep.sh "$corpus" > "$sweep"; then
  grep FAILED "$sweep"; rm -f "$sweep"; exit 1
fi
tail -4 "$sweep"; rm -f "$sweep"

echo "== real consumers"
scripts/consumers.sh
echo "== faults (disk full, broken pipe, signals, output = input, two runs, 3,000 inputs, hostile headers)"
scripts/faults.sh
echo "== the Beam pipeline (beam/, a module of its own: Prism in-process; its first build takes about 5 minutes)"
scripts/beam.sh
echo "== the HTML report in headless chromium (installs Debian's chromium if missing)"
scripts/browser.sh
echo "== the beacon-hunting notebook, executed (installs Debian's jupyter-nbconvert, pandas, matplotlib if missing)"
scripts/notebook.sh
echo "all tests passed"
