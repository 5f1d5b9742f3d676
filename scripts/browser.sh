#!/usr/bin/env bash
# The browser check of `pcap2table report`: open the HTML reports in a
# real browser (headless Chromium) and check what it saw.
#   - the report of a shared capture (testdata/captures, example.pcap:
#     flows, DNS, HTTP, TLS and beacons) shows the summary numbers that
#     `pcap2table stats` prints, a known top talker, a known TLS server
#     name, and an interval histogram per beacon candidate;
#   - the report of a hostile capture (written by the report package's
#     TestHostile: markup in the HTTP Host and User-Agent, the TLS SNI and a
#     DNS name) holds that markup as text: no <script> or <img> element in
#     the DOM the browser built;
#   - neither page logs a console message or a Content-Security-Policy
#     violation. The log check is itself checked first: on a page with a
#     deliberate console error, and one with an inline script the page's
#     CSP refuses, it must fire.
#   scripts/browser.sh     needs go; installs Debian's chromium if missing
#                          (root); about 30 s once installed
set -euo pipefail
cd "$(dirname "$0")/.."

browser=""
for b in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
  if [ -n "$b" ] && command -v "$b" >/dev/null; then browser=$(command -v "$b"); break; fi
done
if [ -z "$browser" ]; then
  echo "== installing chromium"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
  browser=$(command -v chromium)
fi
echo "== $("$browser" --version 2>/dev/null || echo "$browser")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

echo "== building"
go build -o "$work/pcap2table" ./cmd/pcap2table
bin="$work/pcap2table"
go test -count=1 -run '^TestHostile$' ./report -args -hostile-pcap="$work/hostile.pcap" >/dev/null

# browse PAGE: the DOM Chromium built from PAGE goes to PAGE.dom, its log to
# PAGE.log; the lines of the log that are console messages or CSP
# violations go to PAGE.errors.
browse() {
  local page=$1
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$work/profile" --host-resolver-rules='MAP * ~NOTFOUND' \
    --enable-logging=stderr --v=0 --dump-dom "file://$page" >"$page.dom" 2>"$page.log" || true
  grep -aiE 'CONSOLE|Content.Security.Policy|Refused to' "$page.log" >"$page.errors" || true
  [ -s "$page.dom" ] || bad "chromium wrote no DOM for $page: $(tail -3 "$page.log")"
}

echo "== the log check catches errors"
csp="<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
printf '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><script>console.error("deliberate console error")</script></body></html>\n' >"$work/console.html"
printf '<!DOCTYPE html><html><head><meta charset="utf-8">%s</head><body><script>document.title="ran"</script></body></html>\n' "$csp" >"$work/csp.html"
for p in console csp; do
  browse "$work/$p.html"
  if [ -s "$work/$p.html.errors" ]; then
    echo "   $p: caught: $(head -1 "$work/$p.html.errors" | cut -c1-160)"
  else
    bad "the log check missed the deliberate error of $p.html: $(cat "$work/$p.html.log")"
  fi
done

echo "== the report of a shared capture"
capture=testdata/captures/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap
"$bin" report -q -j1 "$capture" -o "$work/example.html"
browse "$work/example.html"
dom="$work/example.html.dom"
stats=$("$bin" stats "$capture")
field() { echo "$stats" | awk -v k="$1" 'index($0, "  " k ":") == 1 { print $NF; exit }'; }
for pair in total-packets:packets total-bytes:"bytes on the wire" total-decode-errors:"decode errors"; do
  id=${pair%%:*} want=$(field "${pair#*:}")
  grep -q "id=\"$id\">$want<" "$dom" || bad "#$id is not $want (pcap2table stats): $(grep -o "id=\"$id\">[^<]*" "$dom")"
done
# 10.0.0.6 is the capture's client (every flow); s-static.ak.facebook.com
# the SNI of its first TLS handshake.
grep -q '<td class="s">10.0.0.6</td>' "$dom" || bad "the top talker 10.0.0.6 is not shown"
grep -q '<td class="s">s-static.ak.facebook.com</td>' "$dom" || bad "the TLS server name s-static.ak.facebook.com is not shown"
rows=$(grep -o '<svg class="hist"' "$dom" | wc -l)
[ "$rows" -ge 1 ] || bad "no interval histogram"
[ "$(grep -o '<svg class="chart"' "$dom" | wc -l)" -eq 2 ] || bad "not two timeline charts"
echo "   $(wc -c <"$dom") bytes of DOM, $rows beacon histograms"

echo "== the report of a hostile capture"
"$bin" report -q -j1 "$work/hostile.pcap" -o "$work/hostile.html"
browse "$work/hostile.html"
dom="$work/hostile.html.dom"
if grep -aiqE '<(script|img|iframe|object|embed)[ >/]' "$dom"; then
  bad "the hostile capture injected an element: $(grep -aioE '<(script|img|iframe|object|embed)[^>]*>' "$dom" | head -3)"
fi
for s in '&lt;script&gt;alert(1)&lt;/script&gt;' '&lt;img src=x onerror=alert(1)&gt;'; do
  grep -qF "$s" "$dom" || bad "the hostile text $s is not shown as text"
done

for p in example hostile; do
  if [ -s "$work/$p.html.errors" ]; then
    bad "$p.html logged console messages or CSP violations:"; cat "$work/$p.html.errors"
  fi
done
[ "$fail" = 0 ] && echo "== ok" || echo "== FAILED"
exit "$fail"
