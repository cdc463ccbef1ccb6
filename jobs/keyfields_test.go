package jobs

import (
	"slices"
	"strings"
	"testing"
)

func TestParseKeyFieldOptions(t *testing.T) {
	for opts, want := range map[string][]KeySpec{
		"":              nil,
		"-k1,2":         {{StartField: 1, StartChar: 1, EndField: 2}},
		"-k2,2nr -k1,1": {{StartField: 2, StartChar: 1, EndField: 2, Numeric: true, Reverse: true}, {StartField: 1, StartChar: 1, EndField: 1}},
		"-k 3.2,3.4n":   {{StartField: 3, StartChar: 2, EndField: 3, EndChar: 4, Numeric: true}},
		"-nr":           {{StartField: 1, StartChar: 1, Numeric: true, Reverse: true}},
		"-r -k2":        {{StartField: 2, StartChar: 1, Reverse: true}},
	} {
		got, err := ParseKeyFieldOptions("compare", opts)
		if err != nil || !slices.Equal(got.Specs, want) {
			t.Errorf("%q: %+v, %v; want %+v", opts, got.Specs, err, want)
		}
	}
	for _, opts := range []string{"-k0", "-k2,1", "-kx", "-k1b", "-x", "k1", "-k1.y"} {
		_, err := ParseKeyFieldOptions("compare", opts)
		if err == nil || !strings.Contains(err.Error(), "compare "+`"`+opts+`"`) || !strings.Contains(err.Error(), "-k2,2nr") {
			t.Errorf("%q: error %v, want one naming the option, its value and the accepted form", opts, err)
		}
	}
}

func TestKeySpecPart(t *testing.T) {
	dot := []byte(".")
	for _, tc := range []struct {
		spec      KeySpec
		key, want string
	}{
		{KeySpec{StartField: 1, StartChar: 1, EndField: 2}, "11.12.1.2", "11.12"},
		{KeySpec{StartField: 2, StartChar: 1, EndField: 2}, "11.12.1.2", "12"},
		{KeySpec{StartField: 3, StartChar: 1}, "11.12.1.2", "1.2"},
		{KeySpec{StartField: 5, StartChar: 1, EndField: 5}, "11.12.1.2", ""},
		{KeySpec{StartField: 2, StartChar: 2, EndField: 2, EndChar: 1}, "ab.cde.f", ""},
		{KeySpec{StartField: 2, StartChar: 2, EndField: 2, EndChar: 3}, "ab.cde.f", "de"},
		{KeySpec{StartField: 2, StartChar: 9, EndField: 2}, "ab.cde.f", ""},
	} {
		if got := string(tc.spec.Part([]byte(tc.key), dot)); got != tc.want {
			t.Errorf("%+v of %q = %q, want %q", tc.spec, tc.key, got, tc.want)
		}
	}
}

// Hadoop's documented KeyFieldBasedComparator example: -k2,2nr over
// dot-separated keys sorts by the second field, numerically, reversed.
func TestKeyFieldCompareHadoopExample(t *testing.T) {
	opts, err := ParseKeyFieldOptions("compare", "-k2,2nr")
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"11.12.1.2", "11.14.2.3", "11.11.4.1", "11.12.1.1", "11.14.2.2"}
	slices.SortStableFunc(keys, func(a, b string) int { return opts.Compare([]byte(a), []byte(b), []byte(".")) })
	want := []string{"11.14.2.3", "11.14.2.2", "11.12.1.2", "11.12.1.1", "11.11.4.1"}
	if !slices.Equal(keys, want) {
		t.Errorf("sorted %q, want %q", keys, want)
	}
}

func TestCompareNumbers(t *testing.T) {
	order := []string{"-100", "-9.5", "-9", "-0.5", "", "abc", "0", "-0", "0.0", "0.25", "2", "10", "10.5", "010.50x", "11", "9999999999999999999999"}
	for i := range order {
		for j := range order {
			got := compareNumbers([]byte(order[i]), []byte(order[j]))
			zero := func(s string) bool { return s == "" || s == "abc" || s == "0" || s == "-0" || s == "0.0" }
			var want int
			switch {
			case zero(order[i]) && zero(order[j]):
				want = 0
			case (order[i] == "10.5" || order[i] == "010.50x") && (order[j] == "10.5" || order[j] == "010.50x"):
				want = 0 // the same number
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got != want {
				t.Errorf("compareNumbers(%q, %q) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
}

func TestSplitKey(t *testing.T) {
	for _, tc := range []struct {
		line, sep string
		n, want   int
	}{
		{"a\tb\tc", "\t", 1, 1}, {"a\tb\tc", "\t", 2, 3}, {"a\tb\tc", "\t", 3, 5}, {"abc", "\t", 1, 3},
		{"11.12.1.2.x", ".", 4, 9}, {"a::b::c", "::", 2, 4},
	} {
		if got := SplitKey([]byte(tc.line), []byte(tc.sep), tc.n); got != tc.want {
			t.Errorf("SplitKey(%q, %q, %d) = %d, want %d", tc.line, tc.sep, tc.n, got, tc.want)
		}
	}
}

func TestKeyFieldHashGroupsBySelectedFields(t *testing.T) {
	opts, _ := ParseKeyFieldOptions("partition", "-k1,2")
	dot := []byte(".")
	if opts.Hash([]byte("11.12.1.2"), dot) != opts.Hash([]byte("11.12.9.9"), dot) {
		t.Error("keys equal in fields 1 and 2 hash apart")
	}
	if opts.Hash([]byte("11.12.1.2"), dot) == opts.Hash([]byte("11.14.1.2"), dot) {
		t.Error("keys that differ in field 2 hash alike (possible, but not for these)")
	}
}

func TestApplyKeyProperties(t *testing.T) {
	var job Job
	err := ApplyProperties(&job, map[string]string{
		PropMapSeparator: ".", PropMapKeyFields: "4", PropFieldSeparator: ".", PropPartition: "-k1,2",
		PropCompare: "-k2,2nr", PropComparatorCls: "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
		PropPartitionerCls: "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner",
	})
	want := Keys{MapSeparator: ".", MapKeyFields: 4, FieldSeparator: ".", Partition: "-k1,2", Compare: "-k2,2nr"}
	if err != nil || job.Keys != want {
		t.Errorf("keys %+v, %v; want %+v", job.Keys, err, want)
	}
	for key, value := range map[string]string{PropMapKeyFields: "0", PropPartitionerCls: "my.Partitioner"} {
		err := ApplyProperties(&job, map[string]string{key: value})
		if err == nil || !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), value) {
			t.Errorf("%s=%s: error %v", key, value, err)
		}
	}
	job.Keys.Compare = "-k0"
	if err := job.Keys.validate(Partitioner{}); err == nil || !strings.Contains(err.Error(), "compare") {
		t.Errorf("compare -k0: %v", err)
	}
}
