package storage

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in     string
		bucket string
		key    string
	}{
		{"/data/in", "", "/data/in"},
		{"rel/in", "", "rel/in"},
		{"s3://tera/in", "tera", "in"},
		{"s3://tera/in/", "tera", "in"},
		{"s3://tera", "tera", ""},
		{"s3://my.bucket-1/a/b/c", "my.bucket-1", "a/b/c"},
	} {
		l, err := Parse("output", tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if l.Bucket != tc.bucket || l.Key != tc.key {
			t.Errorf("Parse(%q) = %+v, want bucket %q key %q", tc.in, l, tc.bucket, tc.key)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"s3://", "no bucket name"},
		{"s3:///in", "no bucket name"},
		{"s3://Tera/in", "lower-case"},
		{"s3://ab/in", "3 to 63"},
		{"s3://tera/a//b", "empty segment"},
		{"s3://tera/../b", `".."`},
		{"gs://tera/in", `unknown scheme "gs"`},
		{"http://host/in", `unknown scheme "http"`},
	} {
		_, err := Parse("output", tc.in)
		if err == nil {
			t.Errorf("Parse(%q): no error", tc.in)
			continue
		}
		msg := err.Error()
		for _, part := range []string{"output", tc.in, tc.want, "s3://bucket/prefix"} {
			if !strings.Contains(msg, part) {
				t.Errorf("Parse(%q) = %q, want it to say %q", tc.in, msg, part)
			}
		}
	}
}

func TestLocationStringJoin(t *testing.T) {
	l, _ := Parse("input", "s3://tera/in")
	if got := l.Join("part-r-00000").String(); got != "s3://tera/in/part-r-00000" {
		t.Errorf("Join = %q", got)
	}
	if got := (Location{Bucket: "tera"}).Join("x").String(); got != "s3://tera/x" {
		t.Errorf("Join at the bucket's root = %q", got)
	}
}
