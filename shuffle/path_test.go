package shuffle

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	good := map[string]Request{
		"/v1/jobs/job_1":                             {Job: "job_1"},
		"/v1/jobs/j/maps/a-1/partitions/0":           {Job: "j", Attempt: "a-1"},
		"/v1/jobs/j/maps/a/partitions/1048576":       {Job: "j", Attempt: "a", Partition: 1 << 20},
		"/v1/jobs/job_2026_ab/maps/x_y/partitions/7": {Job: "job_2026_ab", Attempt: "x_y", Partition: 7},
	}
	for path, want := range good {
		got, err := ParsePath(path)
		if err != nil || got != want {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v", path, got, err, want)
		}
	}
	for _, path := range []string{
		"", "/", "/v1/jobs/", "/v1/jobs/..", "/v1/jobs/j/maps/../partitions/0",
		"/v1/jobs/%2e%2e/maps/a/partitions/0", "/v1/jobs/j/maps/a/partitions/01",
		"/v1/jobs/j/maps/a/partitions/-1", "/v1/jobs/j/maps/a/partitions/1048577",
		"/v1/jobs/j/maps/a/partitions/0/", "/v1/jobs/j/", "/v1/jobs/j//maps/a/partitions/0",
		"/v1/jobs/j/maps/a/parts/0", "/v2/jobs/j", "/v1/jobs/j/maps/a/partitions/+1",
		"/v1/jobs/" + strings.Repeat("a", 65), "/v1/jobs/j k",
	} {
		if r, err := ParsePath(path); err == nil {
			t.Errorf("ParsePath(%q) = %+v, want an error", path, r)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/v1/jobs/j", "/v1/jobs/j/maps/a/partitions/3", "/v1/jobs/%2e%2e", "/v1/jobs/../etc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, err := ParsePath(path)
		if err != nil {
			return
		}
		// What parses names safe file names and prints back as itself.
		for _, id := range []string{r.Job, r.Attempt} {
			if strings.ContainsAny(id, "/.%\\\x00") {
				t.Fatalf("ParsePath(%q) accepted id %q", path, id)
			}
		}
		back := JobPath(r.Job)
		if r.Attempt != "" {
			back = PartitionPath(r.Job, r.Attempt, r.Partition)
		}
		if back != path {
			t.Fatalf("ParsePath(%q) = %+v, which prints as %q", path, r, back)
		}
	})
}

func TestParseRange(t *testing.T) {
	type want struct {
		start, length int64
		partial       bool
	}
	good := map[string]want{
		"":             {0, 100, false},
		"bytes=0-99":   {0, 100, false},
		"bytes=0-":     {0, 100, false},
		"bytes=10-19":  {10, 10, true},
		"bytes=90-500": {90, 10, true},
		"bytes=-10":    {90, 10, true},
		"bytes=-500":   {0, 100, false},
	}
	for h, w := range good {
		s, n, p, err := ParseRange(h, 100)
		if err != nil || s != w.start || n != w.length || p != w.partial {
			t.Errorf("ParseRange(%q, 100) = %d, %d, %v, %v; want %+v", h, s, n, p, err, w)
		}
	}
	for _, h := range []string{"bytes=100-", "bytes=100-200", "bytes=-0"} {
		if _, _, _, err := ParseRange(h, 100); !errors.Is(err, ErrRangeNotSatisfiable) {
			t.Errorf("ParseRange(%q, 100): %v, want not satisfiable", h, err)
		}
	}
	for _, h := range []string{"bytes=5-1", "bytes=a-b", "items=0-1", "bytes=0-1,3-4", "bytes=", "bytes=-", "bytes=01-2"} {
		_, _, _, err := ParseRange(h, 100)
		if err == nil || errors.Is(err, ErrRangeNotSatisfiable) {
			t.Errorf("ParseRange(%q, 100): %v, want a malformed range", h, err)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=3-", "bytes=99999999999999999999-"} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		start, length, _, err := ParseRange(h, size)
		if err != nil {
			return
		}
		if start < 0 || length < 0 || start+length > size || (h != "" && length == 0) {
			t.Fatalf("ParseRange(%q, %d) = %d, %d: outside the body", h, size, start, length)
		}
	})
}

func TestSign(t *testing.T) {
	s1, _ := NewSecret()
	s2, _ := NewSecret()
	sig := Sign(s1, "GET", "/v1/jobs/j")
	if !Verify(s1, "GET", "/v1/jobs/j", sig) || !Verify(s1+"\n", "GET", "/v1/jobs/j", strings.ToUpper(sig)) {
		t.Error("a signature does not verify under its own secret")
	}
	for _, c := range [][3]string{{s2, "GET", "/v1/jobs/j"}, {s1, "DELETE", "/v1/jobs/j"}, {s1, "GET", "/v1/jobs/k"}} {
		if Verify(c[0], c[1], c[2], sig) {
			t.Errorf("signature verifies for %v", c[1:])
		}
	}
	if Verify(s1, "GET", "/v1/jobs/j", "") {
		t.Error("an empty signature verifies")
	}
	if CheckSecret(s1) != nil || CheckSecret("abc") == nil {
		t.Error("CheckSecret is wrong")
	}
}
