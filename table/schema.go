package table

import (
	"fmt"
	"strings"
)

// Type is the logical type of a column. Every writer maps each Type to the
// closest native type of its format (see docs/schema.md).
type Type uint8

// Column types. Unsigned integers stay unsigned in every format.
const (
	Bool Type = iota + 1
	Uint8
	Uint16
	Uint32
	Uint64
	Int64
	Float64
	String
	// Timestamp is nanoseconds since the Unix epoch, UTC, stored as int64.
	Timestamp
)

var typeNames = [...]string{
	Bool: "bool", Uint8: "uint8", Uint16: "uint16", Uint32: "uint32", Uint64: "uint64",
	Int64: "int64", Float64: "float64", String: "string", Timestamp: "timestamp[ns, UTC]",
}

func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", t)
}

// Unsigned reports whether t is stored in a Vector's U64 slice.
func (t Type) Unsigned() bool { return t == Bool || (t >= Uint8 && t <= Uint64) }

// Hint is an encoding hint for columnar writers. Writers that cannot use a
// hint ignore it.
type Hint uint8

// Encoding hints.
const (
	Plain Hint = iota
	Dict       // few distinct values: dictionary-encode
	Delta      // monotone or slowly varying integers: delta-encode
)

// Column describes one column of a table.
type Column struct {
	Name     string
	Type     Type
	Nullable bool
	// List makes the column a list of Type values in each row (elements
	// are never null; the list may be, when Nullable): Parquet LIST, Arrow
	// list, a JSON array in JSONL and CSV.
	List bool
	Hint Hint
	Doc  string
}

// TypeName is the column's type as docs/schema.md writes it.
func (c *Column) TypeName() string {
	if c.List {
		return "list<" + c.Type.String() + ">"
	}
	return c.Type.String()
}

// Schema is the definition of one table. Column names are a public
// contract; Version changes when a column is renamed, retyped or removed.
type Schema struct {
	Name    string
	Doc     string
	Version int
	Columns []Column
	// RowGroupRows is the row group size this table's Parquet files
	// should have by default (0: the writer's, 1 Mi rows): a table of
	// wide rows holds less in memory with smaller groups.
	RowGroupRows int
}

// Index returns the position of the named column, or -1.
func (s *Schema) Index(name string) int {
	for i := range s.Columns {
		if s.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// Projection resolves a list of column names to indexes, in the order given.
// An empty list selects every column.
func (s *Schema) Projection(names []string) ([]int, error) {
	if len(names) == 0 {
		idx := make([]int, len(s.Columns))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	idx := make([]int, 0, len(names))
	seen := make(map[int]bool, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		i := s.Index(n)
		if i < 0 {
			return nil, fmt.Errorf("table %s has no column %q (see: pcap2table schema %s)", s.Name, n, s.Name)
		}
		if seen[i] {
			return nil, fmt.Errorf("column %q selected twice", n)
		}
		seen[i] = true
		idx = append(idx, i)
	}
	return idx, nil
}

// Markdown documents the schema as a Markdown section.
func (s *Schema) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## `%s` (schema version %d)\n\n%s\n\n", s.Name, s.Version, s.Doc)
	b.WriteString("| column | type | null when | description |\n|---|---|---|---|\n")
	for _, c := range s.Columns {
		null := "never"
		if c.Nullable {
			null = "absent"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, c.TypeName(), null, strings.ReplaceAll(c.Doc, "|", "\\|"))
	}
	return b.String()
}
