package terajob

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRows(t *testing.T) {
	for in, want := range map[string]uint64{
		"1": 1, "100": 100, "10k": 10000, "10K": 10000, "10m": 10000000, "3b": 3000000000,
		"2t": 2000000000000, "18446744073709551615": 18446744073709551615,
	} {
		got, err := ParseRows(in)
		if err != nil || got != want {
			t.Errorf("ParseRows(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":                     "is not a number",
		"ten":                  "is not a number",
		"10x":                  "is not a number",
		"k":                    "is not a number",
		"-5":                   "is not a number",
		"1.5m":                 "is not a number",
		"0":                    "want at least 1 row",
		"0k":                   "want at least 1 row",
		"20000000t":            "is too large",
		"99999999999999999999": "is not a number",
	} {
		_, err := ParseRows(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseRows(%q): error %v does not name the value and say %q", in, err, want)
		}
	}
}

func TestReadReport(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "part-r-00000"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("checksum\t5b2d1434d\nerror\tmisorder in a\nerror\tmisorder between a and b\n")
	rep, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checksum.String() != "5b2d1434d" || len(rep.Errors) != 2 || rep.OK() || rep.Errors[1] != "misorder between a and b" {
		t.Errorf("report = %+v", rep)
	}
	for content, want := range map[string]string{
		"error\tx\n":           "has no checksum line",
		"checksum\tzz\n":       "line 1",
		"checksum\t1\nhello\n": `line 2: "hello" is neither`,
	} {
		write(content)
		if _, err := ReadReport(dir); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("report %q: error %v does not say %q", content, err, want)
		}
	}
	if _, err := ReadReport(t.TempDir()); err == nil {
		t.Error("a missing report read without error")
	}
}
