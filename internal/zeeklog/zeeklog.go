// Package zeeklog reads what the conformance tests compare with: Zeek's
// TSV logs and the manifest of the shared Zeek baselines
// (../shared/peers/zeek/MANIFEST.tsv, README.md there).
package zeeklog

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Entry is one baseline of the manifest: a log the test wrote, from a
// trace, with the arguments and scripts Zeek ran with.
type Entry struct {
	Log, Test, Trace, Baseline string
	Args, Loads                string
	// TSReal: the log's timestamps are the trace's own (not rewritten).
	TSReal bool
	// ChecksumsOff: Zeek ran with -C.
	ChecksumsOff bool
}

// ReadManifest reads MANIFEST.tsv by its header's column names.
func ReadManifest(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	col := map[string]int{}
	for i, n := range strings.Split(lines[0], "\t") {
		col[n] = i
	}
	for _, n := range []string{"log", "test", "trace", "baseline"} {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("%s: no column %s", path, n)
		}
	}
	var out []Entry
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(f) {
				return f[i]
			}
			return ""
		}
		out = append(out, Entry{Log: get("log"), Test: get("test"), Trace: get("trace"), Baseline: get("baseline"),
			Args: get("zeek_args"), Loads: get("loads"), TSReal: get("ts_real") == "1", ChecksumsOff: get("checksums_off") == "1"})
	}
	return out, nil
}

// Log is a Zeek TSV log. A row maps a field to its value, unescaped; an
// unset field ('-') is absent, an empty one ('(empty)') is "". Set and
// vector values stay comma-separated.
type Log struct {
	Fields []string
	Rows   []map[string]string
}

// Has reports whether the log has the field.
func (l *Log) Has(field string) bool { return slices.Contains(l.Fields, field) }

// Read reads a Zeek TSV log file (see Parse).
func Read(path string) (Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return Log{}, err
	}
	defer f.Close()
	l, err := Parse(f)
	if err != nil {
		return Log{}, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// Parse reads a Zeek TSV log: tab-separated, with the #fields,
// #unset_field and #empty_field headers, or a btest-cut table whose first
// line names the fields. Connection fields written with another scope
// separator (id_orig_h) get their usual names (id.orig_h).
func Parse(r io.Reader) (Log, error) {
	var l Log
	unset, empty := "-", "(empty)"
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#fields\t"):
			l.Fields = fieldNames(strings.Split(line, "\t")[1:])
		case strings.HasPrefix(line, "#unset_field\t"):
			unset = strings.TrimPrefix(line, "#unset_field\t")
		case strings.HasPrefix(line, "#empty_field\t"):
			empty = strings.TrimPrefix(line, "#empty_field\t")
		case strings.HasPrefix(line, "#") || line == "":
		case l.Fields == nil:
			l.Fields = fieldNames(strings.Split(line, "\t"))
		default:
			row := map[string]string{}
			for i, v := range strings.Split(line, "\t") {
				switch {
				case i >= len(l.Fields) || l.Fields[i] == "" || v == unset:
				case v == empty:
					row[l.Fields[i]] = ""
				default:
					row[l.Fields[i]] = unescape(v)
				}
			}
			l.Rows = append(l.Rows, row)
		}
	}
	return l, sc.Err()
}

// fieldNames gives the connection fields their usual names when a log
// writes them with another scope separator (id_orig_h).
func fieldNames(names []string) []string {
	for i, n := range names {
		if rest, ok := strings.CutPrefix(n, "id_"); ok && (strings.HasPrefix(rest, "orig_") || strings.HasPrefix(rest, "resp_")) {
			names[i] = "id." + rest
		}
	}
	return names
}

// unescape undoes the ASCII writer's escapes: \xNN for a byte and \\ for a
// backslash.
func unescape(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			if v[i+1] == '\\' {
				b.WriteByte('\\')
				i++
				continue
			}
			if v[i+1] == 'x' && i+3 < len(v) {
				if n, err := strconv.ParseUint(v[i+2:i+4], 16, 8); err == nil {
					b.WriteByte(byte(n))
					i += 3
					continue
				}
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
