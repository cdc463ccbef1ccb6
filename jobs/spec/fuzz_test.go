package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzJobSpec feeds arbitrary text to the spec parser and, when it
// parses, to job validation: neither may panic, and every refusal must be
// a one-line message (a spec error with a position for parse errors).
func FuzzJobSpec(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.hcl"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed specs in testdata: %v", err)
	}
	// The example job users start from is a seed as it stands.
	seeds = append(seeds, filepath.Join("..", "..", "examples", "wordcount", "wordcount.hcl"))
	for _, path := range seeds {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		job, err := Parse(src, "fuzz.hcl", "/specs")
		if err != nil {
			var specErr *Error
			if !errors.As(err, &specErr) {
				t.Fatalf("parse error %T is not a spec error: %v", err, err)
			}
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "fuzz.hcl") {
				t.Fatalf("parse error %q is not one line starting at the file's name", msg)
			}
			return
		}
		if err := job.Validate(); err != nil && (err.Error() == "" || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("validation error %q is not one line", err)
		}
	})
}
