package main

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/pcap2table/pcap2table"
	"github.com/schollz/progressbar/v3"
)

// barShown is set while a progress bar is drawn on stderr: a message
// printed then (an interrupt's) starts on a line of its own.
var barShown atomic.Bool

// showProgress draws a progress bar on a terminal: bytes read of the total,
// packets per second and ETA. It returns the function that ends it: with
// done, the bar is drawn full (every byte was read) and left on its line;
// else it is cleared.
func showProgress(w io.Writer, p *pcap2table.Progress) func(done bool) {
	total := p.BytesTotal.Load()
	if total <= 0 {
		total = -1 // unknown (stdin): a spinner
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		// no spinner goroutine of the bar's own: it reads the bar's state
		// unlocked while Describe renders (a data race, go test -race);
		// the ticker below renders often enough
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	barShown.Store(true)
	done := make(chan struct{})
	stopped := make(chan struct{})
	start := time.Now()
	describe := func() {
		pps := float64(p.Packets.Load()) / time.Since(start).Seconds()
		bar.Describe(fmt.Sprintf("%d packets, %.0f packets/s", p.Packets.Load(), pps))
	}
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if tot := p.BytesTotal.Load(); tot > 0 && bar.GetMax64() != tot {
					bar.ChangeMax64(tot)
				}
				describe()
				_ = bar.Set64(p.BytesRead.Load())
			}
		}
	}()
	return func(ok bool) {
		close(done)
		<-stopped
		defer barShown.Store(false)
		if !ok {
			_ = bar.Clear()
			return
		}
		describe()
		if tot := p.BytesTotal.Load(); tot > 0 {
			bar.ChangeMax64(tot)
			_ = bar.Set64(tot)
		}
		_ = bar.Finish()
		fmt.Fprintln(w)
	}
}
