#!/usr/bin/env bash
# Runs every test of pcap2table on a fresh Debian machine with Go: installs
# what the tests need (jq, and gcc for -race, from Debian; DuckDB, polars
# and Arrow JS from npm), then checks formatting, vet, staticcheck, unit/conformance/golden tests,
# short fuzzing of every parser, and reads outputs back with real consumers.
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
(cd test/consumers && npm install --no-audit --no-fund --loglevel=error)

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
# A failure that saved an input under testdata/fuzz is a real finding and
# fails at once. One that saved nothing is the fuzzing engine itself (seen
# here once: a worker lost on a loaded 2-core machine): show it, try again.
fuzz() {
  local pkg=$1 name=$2 log
  log=$(mktemp)
  for try in 1 2; do
    if go test -run='^$' -fuzz="^$name\$" -fuzztime="${FUZZTIME:-5s}" "$pkg" > "$log" 2>&1; then
      echo "ok $name"; rm -f "$log"; return 0
    fi
    echo "fuzz $name failed (try $try):"; tail -20 "$log"
    if [ -n "$(git status --porcelain -- "$pkg/testdata/fuzz" 2>/dev/null)" ]; then
      echo "a failing input was saved in $pkg/testdata/fuzz/$name"; exit 1
    fi
  done
  exit 1
}
fuzz ./sniff FuzzOpen
fuzz ./parsers/capture FuzzPcap
fuzz ./parsers/capture FuzzPcapng
fuzz ./parsers FuzzDecode
fuzz ./parsers FuzzAppendAddr
fuzz ./writers FuzzAppendJSONString
fuzz ./flows FuzzTracker
fuzz ./protocols/dns FuzzDNS
fuzz ./protocols/http FuzzHTTP
fuzz ./protocols/tls FuzzTLS
fuzz ./protocols/tls FuzzQUIC

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
echo "all tests passed"
