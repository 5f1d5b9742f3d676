package table

// An Output is where the producer of a table puts its rows on their way
// to a writer: rows are appended to Batch, and each batch that reaches
// the Output's size is handed on, whole, to the function the Output was
// made with, which gives back an empty batch to go on with. Every table
// reaches its writer through one.
//
// An Output is used from one goroutine at a time.
type Output struct {
	b    *Batch
	size int
	hand func(full *Batch) *Batch
}

// NewOutput returns an Output that fills b and calls hand with each batch
// that holds size rows or more; hand returns the batch to fill next (b
// itself, reset, will do). A nil hand keeps every row in one growing
// batch.
func NewOutput(b *Batch, size int, hand func(full *Batch) *Batch) *Output {
	return &Output{b: b, size: size, hand: hand}
}

// Batch is the batch the next rows go to. It changes when a batch is
// handed on: call it for every row.
func (o *Output) Batch() *Batch { return o.b }

// EndRow counts the row just appended to Batch value by value (one value
// in every column), handing the batch on when it is full.
func (o *Output) EndRow() {
	o.b.N++
	o.Added()
}

// Added hands the batch on if the rows appended to it, and counted by the
// appender (a row type's AppendTo, Batch.AppendRows), filled it.
func (o *Output) Added() {
	if o.b.N >= o.size && o.hand != nil {
		o.b = o.hand(o.b)
	}
}

// AppendRows copies rows [lo, hi) of src, a batch of the same table,
// handing batches on as they fill.
func (o *Output) AppendRows(src *Batch, lo, hi int) {
	for lo < hi {
		n := hi - lo
		if o.hand != nil {
			n = min(n, max(o.size-o.b.N, 1))
		}
		o.b.AppendRows(src, lo, lo+n)
		lo += n
		o.Added()
	}
}

// Flush hands on the batch if it holds any row, full or not.
func (o *Output) Flush() {
	if o.b.N > 0 && o.hand != nil {
		o.b = o.hand(o.b)
	}
}
