package pcapbeam_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	pcapbeam "github.com/pcap2table/pcap2table/beam"
)

// Build converts rotated captures on Prism (the runner of ptest; a
// program uses beamx.Run and --runner) into Hive-partitioned Parquet,
// split into 4 parts by flow.
func ExampleBuild() {
	ctx := context.Background()
	inputs, err := pcapbeam.Expand(ctx, []string{"../testdata/rotated/example_*.pcap"})
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := os.MkdirTemp("", "example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(out)
	p, s := beam.NewPipelineWithRoot()
	if err := pcapbeam.Build(s, pcapbeam.Config{Inputs: inputs, Output: out, Tables: []string{"flows", "dns"}, Parts: 4}); err != nil {
		fmt.Println(err)
		return
	}
	if err := ptest.Run(p); err != nil {
		fmt.Println(err)
		return
	}
	success, _ := os.ReadFile(filepath.Join(out, "_SUCCESS"))
	files, _ := filepath.Glob(filepath.Join(out, "flows", "date=*", "part-*.parquet"))
	fmt.Printf("%d inputs, %d flows files\n%s", len(inputs), len(files), success)
	// Output:
	// 5 inputs, 4 flows files
	// flows	136
	// dns	69
}
