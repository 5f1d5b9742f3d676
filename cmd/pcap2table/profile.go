package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// The hidden --cpuprofile and --memprofile flags profile a run for the
// developers (BENCHMARKS.md says how they are used).

// peakEvery is how often the live heap is looked at for its peak.
const peakEvery = 50 * time.Millisecond

// startPeakHeapProfile writes to path, when stop is called, the heap
// profile taken when the live heap was largest (looked at every
// peakEvery, after the collector's last cycle): its inuse views show what
// held the memory at the peak, its alloc views every allocation of the
// run up to then.
func startPeakHeapProfile(path string) (stop func(), err error) {
	pf, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	runtime.MemProfileRate = 64 << 10
	done, finished := make(chan struct{}), make(chan struct{})
	var best bytes.Buffer
	go func() {
		defer close(finished)
		sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var peak uint64
		t := time.NewTicker(peakEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if live := sample[0].Value.Uint64(); live > peak || best.Len() == 0 {
				peak = live
				best.Reset()
				pprof.Lookup("heap").WriteTo(&best, 0) //nolint:errcheck // a bytes.Buffer
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		if best.Len() == 0 {
			pprof.Lookup("heap").WriteTo(&best, 0) //nolint:errcheck
		}
		pf.Write(best.Bytes()) //nolint:errcheck // a developer's profile
		pf.Close()
	}, nil
}
