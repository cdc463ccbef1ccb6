package tail

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestWriterKeepsWholeLastLines(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limit  int
		writes []string
		want   string
	}{
		{"nothing", 16, nil, ""},
		{"fits", 16, []string{"a\nb\n"}, "a\nb"},
		{"blank lines around", 16, []string{"\n\n  x\n\n"}, "  x"},
		{"cut at a line", 10, []string{"first line\nsecond\nthird\n"}, "third"},
		{"partial line dropped", 12, []string{"0123456789\nab\ncd\n"}, "ab\ncd"},
		{"many small writes", 8, []string{"l1\n", "l2\n", "l3\n", "l4\n", "l5\n"}, "l4\nl5"},
		{"one long line kept by its end", 5, []string{"abcdefghij"}, "fghij"},
		{"a write longer than the limit", 6, []string{"xx\n", "0123456789\nend\n"}, "end"},
		{"unterminated last line", 64, []string{"a\nb"}, "a\nb"},
		{"indentation kept", 64, []string{"Traceback:\n  File \"m.py\"\nValueError: x\n"}, "Traceback:\n  File \"m.py\"\nValueError: x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter(tc.limit)
			for _, s := range tc.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			if got := w.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if got := w.String(); len(got) > tc.limit {
				t.Errorf("kept %d bytes, over the limit %d", len(got), tc.limit)
			}
		})
	}
}

// However much is written, the writer holds at most twice its limit.
func TestWriterIsBounded(t *testing.T) {
	w := NewWriter(100)
	line := []byte(strings.Repeat("x", 29) + "\n")
	for range 10000 {
		_, _ = w.Write(line)
	}
	if len(w.buf) > 200 {
		t.Errorf("holds %d bytes, want at most 200", len(w.buf))
	}
	if got := w.String(); got != strings.Repeat(strings.Repeat("x", 29)+"\n", 2)+strings.Repeat("x", 29) {
		t.Errorf("String() = %q, want the last 3 whole lines", got)
	}
}

func TestZeroWriterUsesTheDefault(t *testing.T) {
	var w Writer
	_, _ = fmt.Fprintf(&w, "%s\nlast\n", strings.Repeat("y", 2*DefaultLimit))
	if got := w.String(); got != "last" {
		t.Errorf("String() = %.40q..., want %q", got, "last")
	}
}

func TestTrim(t *testing.T) {
	if got := Trim("a\nbb\nccc\n", 7); got != "bb\nccc" {
		t.Errorf("Trim = %q", got)
	}
	if got := Trim("\nshort\n", 0); got != "short" {
		t.Errorf("Trim with the default limit = %q", got)
	}
}

func TestWithoutLastLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Traceback\nValueError\ndockmr-task: m-00000 failed", "Traceback\nValueError"},
		{"dockmr-task: m-00000 failed", ""},
		{"Traceback\nValueError", "Traceback\nValueError"},
		{"", ""},
	} {
		if got := WithoutLastLine(tc.in, "dockmr-task: "); got != tc.want {
			t.Errorf("WithoutLastLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestErrorAndSplit(t *testing.T) {
	base := errors.New("mapper failed: exit status 1: ValueError: x")
	if err := NewError(base, ""); err != base {
		t.Errorf("NewError without stderr = %v, want the error itself", err)
	}
	if err := NewError(base, "ValueError: x"); err != base {
		t.Errorf("NewError with one line the error says = %v, want the error itself", err)
	}
	err := fmt.Errorf("job wc: map phase: %w", NewError(base, "Traceback:\n  File \"m.py\"\nValueError: x"))
	want := "job wc: map phase: mapper failed: exit status 1: ValueError: x; its stderr ends with:\n    Traceback:\n      File \"m.py\"\n    ValueError: x"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if !errors.Is(err, base) {
		t.Error("the error does not wrap its failure")
	}
	msg, stderr := Split(err)
	if msg != "job wc: map phase: mapper failed: exit status 1: ValueError: x" || stderr != "Traceback:\n  File \"m.py\"\nValueError: x" {
		t.Errorf("Split = %q, %q", msg, stderr)
	}
	if msg, stderr := Split(base); msg != base.Error() || stderr != "" {
		t.Errorf("Split of a plain error = %q, %q", msg, stderr)
	}
}
