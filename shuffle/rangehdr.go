package shuffle

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrRangeNotSatisfiable is a range that starts past the end of what is
// served: HTTP's 416.
var ErrRangeNotSatisfiable = errors.New("range not satisfiable")

// ParseRange parses a Range header against a body of size bytes and
// returns the byte range to send. An empty header is the whole body. One
// range is accepted, "bytes=a-b", "bytes=a-" or "bytes=-n"; a range that
// starts past the end wraps ErrRangeNotSatisfiable, a malformed or
// multiple range is an error of its own. partial reports a range that is
// not the whole body.
func ParseRange(header string, size int64) (start, length int64, partial bool, err error) {
	if header == "" {
		return 0, size, false, nil
	}
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok {
		return 0, 0, false, fmt.Errorf("range %q: want bytes=FIRST-LAST", header)
	}
	if strings.Contains(spec, ",") {
		return 0, 0, false, fmt.Errorf("range %q: one range only", header)
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, false, fmt.Errorf("range %q: want bytes=FIRST-LAST", header)
	}
	if first == "" { // the last n bytes
		n, err := parseDecimal(last, math.MaxInt64)
		if err != nil {
			return 0, 0, false, fmt.Errorf("range %q: %w", header, err)
		}
		if n == 0 {
			return 0, 0, false, fmt.Errorf("range %q: %w: an empty suffix", header, ErrRangeNotSatisfiable)
		}
		n = min(n, size)
		return size - n, n, n != size, nil
	}
	a, err := parseDecimal(first, math.MaxInt64)
	if err != nil {
		return 0, 0, false, fmt.Errorf("range %q: %w", header, err)
	}
	if a >= size {
		return 0, 0, false, fmt.Errorf("range %q: %w: the body has %d bytes", header, ErrRangeNotSatisfiable, size)
	}
	end := size - 1
	if last != "" {
		b, err := parseDecimal(last, math.MaxInt64)
		if err != nil {
			return 0, 0, false, fmt.Errorf("range %q: %w", header, err)
		}
		if b < a {
			return 0, 0, false, fmt.Errorf("range %q: last byte %d before first %d", header, b, a)
		}
		end = min(b, end)
	}
	length = end - a + 1
	return a, length, length != size, nil
}
