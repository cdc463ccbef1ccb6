package jobs

import (
	"strings"
	"testing"
)

func TestApplyPropertiesCompression(t *testing.T) {
	for _, tc := range []struct {
		props map[string]string
		want  Codec
	}{
		{map[string]string{PropCompress: "true"}, Gzip},
		{map[string]string{PropCompress: "true", PropCompressCodec: "org.apache.hadoop.io.compress.ZStandardCodec"}, Zstd},
		{map[string]string{PropCompress: "false", PropCompressCodec: "zstd"}, NoCodec},
		{map[string]string{PropCompressCodec: "zstd"}, Zstd}, // without compress, the spec's choice stays
	} {
		job := Job{Settings: Settings{OutputCodec: Zstd}}
		if err := ApplyProperties(&job, tc.props); err != nil {
			t.Fatalf("%v: %v", tc.props, err)
		}
		if job.Settings.OutputCodec != tc.want {
			t.Errorf("%v: codec %q, want %q", tc.props, job.Settings.OutputCodec, tc.want)
		}
	}
}

func TestApplyPropertiesErrors(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		want       []string
	}{
		{PropCompress, "yes", []string{PropCompress, `"yes"`, "true or false"}},
		{PropCompressCodec, "snappy", []string{PropCompressCodec, `"snappy"`, "gzip"}},
		{"mapreduce.no.such", "1", []string{"mapreduce.no.such", "unknown property", PropCompress}},
	} {
		err := ApplyProperties(&Job{}, map[string]string{tc.key: tc.value})
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s=%s: error %v does not say %s", tc.key, tc.value, err, w)
			}
		}
	}
	if _, _, err := ParseProperty("novalue"); err == nil || !strings.Contains(err.Error(), "key=value") {
		t.Errorf("ParseProperty(novalue): %v", err)
	}
}
