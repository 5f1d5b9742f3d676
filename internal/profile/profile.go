// Package profile starts the CPU profile of the commands' hidden
// --cpuprofile flag (pcap2table and pcap2table-beam).
package profile

import (
	"os"
	"runtime/pprof"
)

// StartCPU writes a CPU profile to path until stop is called.
func StartCPU(path string) (stop func(), err error) {
	pf, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); pf.Close() }, nil
}
