package report

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table"
	"golang.org/x/net/html"
)

var hostileOut = flag.String("hostile-pcap", "", "also write the hostile capture of TestHostile here (scripts/browser.sh)")

const example = "../testdata/captures/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"

const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

// write writes the report of the inputs and returns the page.
func write(t *testing.T, inputs ...string) (string, *pcap2table.Stats) {
	t.Helper()
	dir, tmp := t.TempDir(), t.TempDir()
	out := filepath.Join(dir, "report.html")
	st, err := Write(context.Background(), inputs, out, Options{Convert: pcap2table.Options{Jobs: 1}, TempDir: tmp})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("the tables were left in %s: %v", tmp, ents)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("beside the report: %v", ents)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), st
}

// parse parses the page and checks what every page must be: a CSP meta
// tag forbidding scripts, no script, no event handler, no reference to
// anything outside the page.
func parse(t *testing.T, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	sawCSP := false
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "img", "iframe", "object", "embed", "link", "base", "form", "a":
			t.Errorf("the page has a <%s> element", n.Data)
		case "meta":
			if attr(n, "http-equiv") == "Content-Security-Policy" {
				sawCSP = true
				if got := attr(n, "content"); got != csp {
					t.Errorf("CSP %q, want %q", got, csp)
				}
			}
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if strings.HasPrefix(k, "on") || k == "src" || k == "href" || k == "srcset" || k == "action" || k == "style" {
				t.Errorf("<%s> has the attribute %s=%q", n.Data, a.Key, a.Val)
			}
		}
	}
	if !sawCSP {
		t.Error("no Content-Security-Policy meta tag")
	}
	if strings.Contains(page, "url(") || strings.Contains(page, "@import") {
		t.Error("the style sheet refers to a URL")
	}
	return doc
}

// attr is the value of n's attribute key.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// byID is the element with the id.
func byID(doc *html.Node, id string) *html.Node {
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && attr(n, "id") == id {
			return n
		}
	}
	return nil
}

// text is the text of n and its descendants.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func TestRealCapture(t *testing.T) {
	page, st := write(t, example)
	doc := parse(t, page)
	if got, want := text(byID(doc, "total-packets")), "4631"; got != want || st.Total.Packets != 4631 {
		t.Errorf("packets %s (stats %d), want %s", got, st.Total.Packets, want)
	}
	if got := text(byID(doc, "total-flows")); got != "136" {
		t.Errorf("flows %s, want 136", got)
	}
	for id, want := range map[string]string{
		"hosts":        "10.0.0.6",
		"services":     "http",
		"protocols":    "s-static.ak.facebook.com",
		"beacon-table": "10.0.0.6", // the client of every flow
	} {
		if n := byID(doc, id); n == nil {
			t.Errorf("no #%s", id)
		} else if !strings.Contains(text(n.Parent), want) {
			t.Errorf("#%s does not show %s", id, want)
		}
	}
	// The beacons table's rows depend on its scoring (docs/beacons.md):
	// whatever they are, each has its histogram (every pair has at least
	// beacons.DefaultMinConns connections).
	rows, hists := strings.Count(page, `<tr class="hist">`), strings.Count(page, `<svg class="hist"`)
	if rows == 0 || hists != rows {
		t.Errorf("%d interval histograms for %d beacons rows", hists, rows)
	}
	if n := strings.Count(page, `<svg class="chart"`); n != 2 {
		t.Errorf("%d timeline charts, want 2", n)
	}
}

func TestHostile(t *testing.T) {
	pcap := filepath.Join(t.TempDir(), "hostile.pcap")
	if *hostileOut != "" {
		pcap = *hostileOut
	}
	writeHostile(t, pcap)
	page, _ := write(t, pcap)
	doc := parse(t, page)
	for _, s := range []string{"<script", "<img", "onerror=alert(1)>"} {
		if strings.Contains(page, s) {
			t.Errorf("the page holds %q unescaped", s)
		}
	}
	escScript := "&lt;script&gt;alert(1)&lt;/script&gt;"
	escImg := "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"
	for _, s := range []string{escScript, escImg, escScript + escImg, escScript + ".example"} {
		if !strings.Contains(page, s) {
			t.Errorf("the page lacks the escaped %s", s)
		}
	}
	// The hostile text is there, as text, where each table puts it.
	prot := text(byID(doc, "protocols").Parent)
	for _, s := range []string{evilImg, evilScript + evilImg, evilScript + ".example"} {
		if !strings.Contains(prot, s) {
			t.Errorf("the DNS/TLS/HTTP section does not show %q as text", s)
		}
	}
	if byID(doc, "beacon-table") == nil {
		t.Error("no beacons row for the 12 HTTP connections")
	}
}

func TestEmptyCapture(t *testing.T) {
	pcap := filepath.Join(t.TempDir(), "empty.pcap")
	writeEmpty(t, pcap)
	page, _ := write(t, pcap)
	doc := parse(t, page)
	if got := text(byID(doc, "total-packets")); got != "0" {
		t.Errorf("packets %q, want 0", got)
	}
	for _, s := range []string{"No flows.", "No packet with a timestamp.", "No beacon candidates"} {
		if !strings.Contains(page, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(page), "</html>") {
		t.Error("the page does not end with </html>")
	}
}

func TestRefusesInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	writeEmpty(t, in)
	link := filepath.Join(dir, "link.html")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(in)
	for _, out := range []string{in, link, dir, ""} {
		_, err := Write(context.Background(), []string{in}, out, Options{})
		var ue *pcap2table.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("-o %q: got %v, want a usage error", out, err)
		}
	}
	if _, err := Write(context.Background(), []string{in}, filepath.Join(dir, "no", "r.html"), Options{}); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("an output in a missing folder: got %v", err)
	}
	if after, _ := os.ReadFile(in); string(after) != string(before) {
		t.Error("the input changed")
	}
}

func TestFailedRunLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.html")
	_, err := Write(context.Background(), []string{filepath.Join(dir, "missing.pcap")}, out, Options{})
	if err == nil {
		t.Fatal("no error for a missing input")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
}
