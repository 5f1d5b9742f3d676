package table_test

import (
	"fmt"

	"github.com/pcap2table/pcap2table/table"
)

// A list column: elements are appended one by one and EndList closes the
// row; AppendNull is a null list.
func ExampleVector_EndList() {
	s := &table.Schema{Name: "answers", Columns: []table.Column{
		{Name: "ttls", Type: table.Uint32, List: true, Nullable: true},
	}}
	b := table.NewBatch(s, 3)
	v := &b.Cols[0]
	v.ElemUint(300)
	v.ElemUint(60)
	v.EndList() // [300, 60]
	v.EndList() // []
	v.AppendNull()
	b.N = 3
	for r := 0; r < b.N; r++ {
		lo, hi := v.Elems(r)
		fmt.Println(s.Columns[0].TypeName(), v.Valid[r], v.U64[lo:hi])
	}
	// Output:
	// list<uint32> true [300 60]
	// list<uint32> true []
	// list<uint32> false []
}
