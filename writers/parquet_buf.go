package writers

// pageBuf holds what a column needs only while a page is encoded: the
// encoded values, the levels, the compressed bytes. Each column keeps its
// own, sized to its own pages: a pool shared by the columns was tried and
// gained nothing at the peak (default Parquet, 2 M packets, 7 interleaved
// rounds: 93–104 MiB against 87–94), its buffers growing to the largest
// page of any column and emptied by every collection.
type pageBuf struct {
	body    []byte  // the encoded values (PLAIN pages compress the column's own)
	scratch []byte  // an encoder's output, then the compressed values
	levels  []byte  // the encoded repetition and definition levels
	i32     []int32 // the values of a delta-encoded INT32 page
}
