package table

// Vector is one column of a batch. Values are kept in the slice that fits
// the column's Type; the others stay empty:
//
//	Bool, Uint8..Uint64  U64 (Bool: 0 or 1)
//	Int64, Timestamp     I64
//	Float64              F64
//	String               Str (bytes of all values) and Off (len N+1)
//
// A null row stores the zero value and Valid[i] == false, so every slice is
// indexed by row.
//
// A list column (Column.List) indexes those slices by element instead: row
// i holds elements List[i] to List[i+1] (List has N+1 entries), appended
// with the Elem* methods and closed with EndList. A null list holds none.
type Vector struct {
	Type   Type
	IsList bool
	Valid  []bool
	U64    []uint64
	I64    []int64
	F64    []float64
	Str    []byte
	Off    []int32
	List   []int32
}

// Len is the number of rows in the vector.
func (v *Vector) Len() int { return len(v.Valid) }

// Reset empties the vector and keeps its memory.
func (v *Vector) Reset() {
	v.Valid = v.Valid[:0]
	v.U64 = v.U64[:0]
	v.I64 = v.I64[:0]
	v.F64 = v.F64[:0]
	v.Str = v.Str[:0]
	v.Off = append(v.Off[:0], 0)
	if v.IsList {
		v.List = append(v.List[:0], 0)
	}
}

// elems is the number of elements (values) stored, all rows together.
func (v *Vector) elems() int {
	switch v.Type {
	case Int64, Timestamp:
		return len(v.I64)
	case Float64:
		return len(v.F64)
	case String:
		return len(v.Off) - 1
	}
	return len(v.U64)
}

// ElemUint appends an element of the row's list (Bool, Uint8..Uint64).
func (v *Vector) ElemUint(x uint64) { v.U64 = append(v.U64, x) }

// ElemInt appends an element of the row's list (Int64, Timestamp).
func (v *Vector) ElemInt(x int64) { v.I64 = append(v.I64, x) }

// ElemFloat appends an element of the row's list (Float64).
func (v *Vector) ElemFloat(x float64) { v.F64 = append(v.F64, x) }

// ElemBytes appends a String element of the row's list; b is copied.
func (v *Vector) ElemBytes(b []byte) {
	v.Str = append(v.Str, b...)
	v.Off = append(v.Off, int32(len(v.Str)))
}

// ElemString appends a String element of the row's list.
func (v *Vector) ElemString(s string) {
	v.Str = append(v.Str, s...)
	v.Off = append(v.Off, int32(len(v.Str)))
}

// EndList closes the row's list: the elements appended since the last row.
func (v *Vector) EndList() {
	v.List = append(v.List, int32(v.elems()))
	v.Valid = append(v.Valid, true)
}

// Elems returns the range of row i's list elements: indexes into U64,
// I64, F64 or (with Bytes) the strings.
func (v *Vector) Elems(i int) (lo, hi int) { return int(v.List[i]), int(v.List[i+1]) }

// AppendUint appends an unsigned (or Bool) value.
func (v *Vector) AppendUint(x uint64) {
	v.U64 = append(v.U64, x)
	v.Valid = append(v.Valid, true)
}

// AppendBool appends a Bool value.
func (v *Vector) AppendBool(b bool) {
	var x uint64
	if b {
		x = 1
	}
	v.AppendUint(x)
}

// AppendInt appends an Int64 or Timestamp value.
func (v *Vector) AppendInt(x int64) {
	v.I64 = append(v.I64, x)
	v.Valid = append(v.Valid, true)
}

// AppendFloat appends a Float64 value.
func (v *Vector) AppendFloat(x float64) {
	v.F64 = append(v.F64, x)
	v.Valid = append(v.Valid, true)
}

// AppendBytes appends a String value; b is copied.
func (v *Vector) AppendBytes(b []byte) {
	v.Str = append(v.Str, b...)
	v.Off = append(v.Off, int32(len(v.Str)))
	v.Valid = append(v.Valid, true)
}

// AppendString appends a String value.
func (v *Vector) AppendString(s string) {
	v.Str = append(v.Str, s...)
	v.Off = append(v.Off, int32(len(v.Str)))
	v.Valid = append(v.Valid, true)
}

// EndString closes a String value whose bytes the caller appended to Str
// directly (for example with netip.Addr.AppendTo), avoiding a copy.
func (v *Vector) EndString() {
	v.Off = append(v.Off, int32(len(v.Str)))
	v.Valid = append(v.Valid, true)
}

// AppendNull appends a null.
func (v *Vector) AppendNull() {
	if v.IsList {
		v.List = append(v.List, int32(v.elems()))
		v.Valid = append(v.Valid, false)
		return
	}
	switch v.Type {
	case Int64, Timestamp:
		v.I64 = append(v.I64, 0)
	case Float64:
		v.F64 = append(v.F64, 0)
	case String:
		v.Off = append(v.Off, int32(len(v.Str)))
	default:
		v.U64 = append(v.U64, 0)
	}
	v.Valid = append(v.Valid, false)
}

// Bytes returns the i-th String value (of a list column: element). It
// aliases the vector's memory.
func (v *Vector) Bytes(i int) []byte { return v.Str[v.Off[i]:v.Off[i+1]] }

// Batch is a set of rows of one table, stored column by column. A filler
// may leave columns that no writer reads empty; N counts the rows.
type Batch struct {
	Schema *Schema
	Cols   []Vector
	N      int
}

// batchStart bounds the rows a new batch has room for before it grows.
const batchStart = 512

// NewBatch returns an empty batch for about capacity rows. Its vectors
// start with room for at most batchStart rows and grow as rows are
// appended, keeping their memory when the batch is Reset and reused: a
// table that writes few rows (most protocol tables, on most captures)
// does not hold memory for thousands.
func NewBatch(s *Schema, capacity int) *Batch {
	capacity = min(capacity, batchStart)
	b := &Batch{Schema: s, Cols: make([]Vector, len(s.Columns))}
	for i, c := range s.Columns {
		v := &b.Cols[i]
		v.Type = c.Type
		v.Valid = make([]bool, 0, capacity)
		if c.List {
			v.IsList = true
			v.List = make([]int32, 1, capacity+1)
		}
		switch c.Type {
		case Int64, Timestamp:
			v.I64 = make([]int64, 0, capacity)
		case Float64:
			v.F64 = make([]float64, 0, capacity)
		case String:
			v.Off = make([]int32, 1, capacity+1)
			v.Str = make([]byte, 0, capacity*16)
		default:
			v.U64 = make([]uint64, 0, capacity)
		}
	}
	return b
}

// Len is the number of rows in the batch.
func (b *Batch) Len() int { return b.N }

// Reset empties the batch and keeps its memory.
func (b *Batch) Reset() {
	for i := range b.Cols {
		b.Cols[i].Reset()
	}
	b.N = 0
}

// AppendRows appends rows [lo, hi) of src, a batch of the same schema,
// copying their values. Columns src left empty (that no writer reads)
// stay empty.
func (b *Batch) AppendRows(src *Batch, lo, hi int) {
	for c := range src.Cols {
		s, v := &src.Cols[c], &b.Cols[c]
		if len(s.Valid) != src.N {
			continue
		}
		v.Valid = append(v.Valid, s.Valid[lo:hi]...)
		e0, e1 := lo, hi // the elements (values) of the rows
		if s.IsList {
			e0, e1 = int(s.List[lo]), int(s.List[hi])
			base := int32(v.elems()) - int32(e0)
			for r := lo; r < hi; r++ {
				v.List = append(v.List, s.List[r+1]+base)
			}
		}
		switch s.Type {
		case Int64, Timestamp:
			v.I64 = append(v.I64, s.I64[e0:e1]...)
		case Float64:
			v.F64 = append(v.F64, s.F64[e0:e1]...)
		case String:
			base := int32(len(v.Str)) - s.Off[e0]
			v.Str = append(v.Str, s.Str[s.Off[e0]:s.Off[e1]]...)
			for e := e0; e < e1; e++ {
				v.Off = append(v.Off, s.Off[e+1]+base)
			}
		default:
			v.U64 = append(v.U64, s.U64[e0:e1]...)
		}
	}
	b.N += hi - lo
}
