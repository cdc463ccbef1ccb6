package cgstats

import (
	"bytes"
	"fmt"
	"math"
	"time"
)

// maxQuoted bounds how much of a malformed file an error message repeats, so
// a garbage file cannot flood the logs.
const maxQuoted = 120

// quote renders file content for an error message, shortened to maxQuoted bytes.
func quote(b []byte) string {
	if len(b) > maxQuoted {
		return fmt.Sprintf("%q...", b[:maxQuoted])
	}
	return fmt.Sprintf("%q", b)
}

// parseUint parses a decimal unsigned integer without allocating; the sample
// path runs every second for every task, so strconv's string conversion is
// avoided.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// singleValue parses an interface file holding one unsigned integer, such as
// memory.current or cpuacct.usage. The v2 files that hold a limit may read
// "max"; none of the files read here do, so "max" is rejected like any other
// word.
func singleValue(name string, data []byte) (uint64, error) {
	v, ok := parseUint(bytes.TrimSpace(data))
	if !ok {
		return 0, fmt.Errorf("%s: content %s is not an unsigned decimal integer", name, quote(data))
	}
	return v, nil
}

// flatKeyed is a parsed "key value" interface file (memory.stat, cpu.stat,
// cpuacct.stat). It keeps the raw bytes and looks keys up on demand: the
// files have a few dozen lines of which only a handful matter, and a map
// would cost allocations on every sample.
type flatKeyed struct {
	name string
	data []byte
}

// lookup returns the value on the line whose first field is key. A line for
// key whose value is not an unsigned integer is an error naming the file and
// the line; lines for other keys are not inspected, so new kernel counters
// never break parsing.
func (f flatKeyed) lookup(key string) (v uint64, found bool, err error) {
	rest := f.data
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		k, val, ok := bytes.Cut(line, []byte{' '})
		if !ok || string(k) != key {
			continue
		}
		n, ok := parseUint(bytes.TrimSpace(val))
		if !ok {
			return 0, true, fmt.Errorf("%s: line %q: value %q of %s is not an unsigned decimal integer", f.name, line, val, key)
		}
		return n, true, nil
	}
	return 0, false, nil
}

// require is lookup for keys the kernel always writes; a missing key means
// the file is not what it claims to be.
func (f flatKeyed) require(key string) (uint64, error) {
	v, found, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("%s: no %q line in content %s", f.name, key, quote(f.data))
	}
	return v, nil
}

// first returns the value of the first of keys present in the file, so a
// hierarchical counter (v1's total_rss) can be preferred over its local
// variant (rss).
func (f flatKeyed) first(keys ...string) (v uint64, found bool, err error) {
	for _, k := range keys {
		if v, found, err = f.lookup(k); found || err != nil {
			return v, found, err
		}
	}
	return 0, false, nil
}

// asDuration converts a counter of unit to a time.Duration, rejecting values
// a Duration cannot hold (about 292 years of CPU time), which only a corrupt
// file produces. key names the line within name, or is empty for a
// single-value file.
func asDuration(name, key string, v uint64, unit time.Duration) (time.Duration, error) {
	if v > uint64(math.MaxInt64/unit) {
		if key == "" {
			return 0, fmt.Errorf("%s: value %d is out of range (at most %d)", name, v, math.MaxInt64/unit)
		}
		return 0, fmt.Errorf("%s: %s value %d is out of range (at most %d)", name, key, v, math.MaxInt64/unit)
	}
	return time.Duration(v) * unit, nil
}
