package pcapbeam

import (
	"strings"
	"testing"
)

func TestShardName(t *testing.T) {
	for _, c := range []struct {
		rel, sensor string
		part        int
		want        string
	}{
		{"flows/date=2024-01-02/part-00003.parquet", "", 7, "flows/date=2024-01-02/part-00007-00003.parquet"},
		{"flows/date=2024-01-02/hour=05/part-00000.parquet", "", 12, "flows/date=2024-01-02/hour=05/part-00012-00000.parquet"},
		{"flows/date=2024-01-02/part-00000.parquet", "s1", 1, "flows/sensor=s1/date=2024-01-02/part-00001-00000.parquet"},
		{"dns.parquet", "", 2, "dns/part-00002.parquet"},
		{"dns.parquet", "s1", 2, "dns/sensor=s1/part-00002.parquet"},
	} {
		if got := shardName(c.rel, c.sensor, c.part); got != c.want {
			t.Errorf("shardName(%q, %q, %d) = %q, want %q", c.rel, c.sensor, c.part, got, c.want)
		}
	}
}

func TestGroupInputs(t *testing.T) {
	g, err := groupInputs([]string{"a/s1/x.pcap", "b/s2/y.pcap", "a/s1/z.pcap", "gs://bkt/s3/w.pcap"}, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, gr := range g {
		got = append(got, gr.Name+":"+strings.Join(gr.Inputs, ","))
	}
	if want := "s1:a/s1/x.pcap,a/s1/z.pcap s2:b/s2/y.pcap s3:gs://bkt/s3/w.pcap"; strings.Join(got, " ") != want {
		t.Errorf("groups %q, want %q", got, want)
	}
	for _, bad := range [][]string{{"a/s1/x.pcap", "b/s1/y.pcap"}, {"x.pcap"}, {"a/k=v/x.pcap"}} {
		if _, err := groupInputs(bad, true); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if g, _ := groupInputs([]string{"a/x", "b/y"}, false); len(g) != 1 || g[0].Name != "" {
		t.Errorf("one conversion: %+v", g)
	}
}
