package jobs

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// KeySpec is one -k option of Hadoop's KeyFieldBasedComparator and
// KeyFieldBasedPartitioner: the part of a key from field StartField,
// character StartChar, to field EndField, character EndChar (all from 1;
// EndChar 0 is the end of the field, EndField 0 the end of the key),
// compared as a number if Numeric and in reverse if Reverse.
type KeySpec struct {
	StartField, StartChar int
	EndField, EndChar     int
	Numeric, Reverse      bool
}

// KeyFieldOptions are parsed options like "-k2,2nr -k1,1": the key specs,
// or the whole key with the global -n and -r if there are none.
type KeyFieldOptions struct {
	Specs []KeySpec
}

// ParseKeyFieldOptions parses the options of Hadoop's
// mapreduce.partition.keycomparator.options and
// mapreduce.partition.keypartitioner.options: -k pos1[,pos2] with
// pos = field[.char][n][r], and the global -n and -r, which apply to the
// key specs that have no options of their own. name names the option in
// errors.
func ParseKeyFieldOptions(name, opts string) (KeyFieldOptions, error) {
	var o KeyFieldOptions
	bad := func(format string, args ...any) (KeyFieldOptions, error) {
		return KeyFieldOptions{}, fmt.Errorf("%s %q: %s; want options like \"-k2,2nr -k1,1\": -k FIELD[.CHAR][n][r][,FIELD[.CHAR][n][r]], -n, -r",
			name, opts, fmt.Sprintf(format, args...))
	}
	var numeric, reverse bool
	args := strings.Fields(opts)
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "-n":
			numeric = true
		case arg == "-r":
			reverse = true
		case arg == "-nr" || arg == "-rn":
			numeric, reverse = true, true
		case strings.HasPrefix(arg, "-k"):
			def := strings.TrimPrefix(arg, "-k")
			if def == "" && i+1 < len(args) {
				i++
				def = args[i]
			}
			spec, err := parseKeySpec(def)
			if err != nil {
				return bad("-k%s: %s", def, err)
			}
			o.Specs = append(o.Specs, spec)
		default:
			return bad("unknown option %q", arg)
		}
	}
	if len(o.Specs) == 0 && (numeric || reverse) {
		o.Specs = []KeySpec{{StartField: 1, StartChar: 1}}
	}
	for i := range o.Specs {
		if s := &o.Specs[i]; !s.Numeric && !s.Reverse {
			s.Numeric, s.Reverse = numeric, reverse
		}
	}
	return o, nil
}

// parseKeySpec parses pos1[,pos2].
func parseKeySpec(def string) (KeySpec, error) {
	start, end, hasEnd := strings.Cut(def, ",")
	var s KeySpec
	var err error
	if s.StartField, s.StartChar, err = parseKeyPos(start, &s); err != nil {
		return s, err
	}
	if s.StartChar == 0 {
		s.StartChar = 1
	}
	if s.StartField == 0 || s.StartChar == 0 {
		return s, fmt.Errorf("fields and characters count from 1")
	}
	if hasEnd {
		if s.EndField, s.EndChar, err = parseKeyPos(end, &s); err != nil {
			return s, err
		}
		if s.EndField == 0 {
			return s, fmt.Errorf("fields count from 1")
		}
		if s.EndField < s.StartField {
			return s, fmt.Errorf("end field %d is before start field %d", s.EndField, s.StartField)
		}
	}
	return s, nil
}

// parseKeyPos parses field[.char][n][r], setting the options in s.
func parseKeyPos(pos string, s *KeySpec) (field, char int, err error) {
	num := strings.TrimRight(pos, "nr")
	for _, c := range pos[len(num):] {
		if c == 'n' {
			s.Numeric = true
		} else {
			s.Reverse = true
		}
	}
	f, c, hasChar := strings.Cut(num, ".")
	if field, err = strconv.Atoi(f); err != nil || field < 0 {
		return 0, 0, fmt.Errorf("field %q is not a number from 1 (options are n and r)", f)
	}
	if hasChar {
		if char, err = strconv.Atoi(c); err != nil || char < 0 {
			return 0, 0, fmt.Errorf("character %q is not a number", c)
		}
	}
	return field, char, nil
}

// Compare orders two keys whose fields are split by sep as Hadoop's
// KeyFieldBasedComparator does: spec by spec, the first difference
// decides; with no specs, byte order.
func (o KeyFieldOptions) Compare(a, b []byte, sep []byte) int {
	if len(o.Specs) == 0 {
		return bytes.Compare(a, b)
	}
	for _, s := range o.Specs {
		x, y := s.Part(a, sep), s.Part(b, sep)
		var c int
		if s.Numeric {
			c = compareNumbers(x, y)
		} else {
			c = bytes.Compare(x, y)
		}
		if s.Reverse {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// Hash returns a hash of the parts of key the specs select (the whole key
// with no specs), for Hadoop's KeyFieldBasedPartitioner.
func (o KeyFieldOptions) Hash(key []byte, sep []byte) uint32 {
	h := uint32(2166136261) // FNV-1a
	add := func(p []byte) {
		for _, c := range p {
			h = (h ^ uint32(c)) * 16777619
		}
	}
	if len(o.Specs) == 0 {
		add(key)
		return h
	}
	for _, s := range o.Specs {
		add(s.Part(key, sep))
		h = (h ^ 0xff) * 16777619 // so that parts do not run together
	}
	return h
}

// Part returns the part of key the spec selects, fields being split by
// sep: empty if the key has fewer fields than the start field, and cut at
// the end of a field that has fewer characters than asked for.
func (s KeySpec) Part(key, sep []byte) []byte {
	start, ok := fieldStart(key, sep, s.StartField)
	if !ok {
		return nil
	}
	startEnd := fieldEnd(key, sep, start)
	start = min(start+s.StartChar-1, startEnd)
	if s.EndField == 0 {
		return key[start:]
	}
	endStart, ok := fieldStart(key, sep, s.EndField)
	if !ok {
		return key[start:]
	}
	end := fieldEnd(key, sep, endStart)
	if s.EndChar > 0 {
		end = min(endStart+s.EndChar, end)
	}
	if end < start {
		return nil
	}
	return key[start:end]
}

// fieldStart returns the offset of field n (from 1) of key.
func fieldStart(key, sep []byte, n int) (int, bool) {
	off := 0
	for range n - 1 {
		i := bytes.Index(key[off:], sep)
		if i < 0 {
			return 0, false
		}
		off += i + len(sep)
	}
	return off, true
}

// fieldEnd returns the end of the field starting at off.
func fieldEnd(key, sep []byte, off int) int {
	if i := bytes.Index(key[off:], sep); i >= 0 {
		return off + i
	}
	return len(key)
}

// compareNumbers compares the decimal numbers that a and b start with
// (an optional '-', digits, an optional fraction), as Hadoop's numeric key
// comparison does; text that does not start with a number counts as 0.
func compareNumbers(a, b []byte) int {
	na, ia, fa := splitNumber(a)
	nb, ib, fb := splitNumber(b)
	if na != nb {
		if na {
			return -1
		}
		return 1
	}
	c := len(ia) - len(ib)
	if c == 0 {
		c = bytes.Compare(ia, ib)
	}
	if c == 0 {
		c = bytes.Compare(fa, fb)
	}
	if c > 0 {
		c = 1
	} else if c < 0 {
		c = -1
	}
	if na {
		return -c
	}
	return c
}

// splitNumber returns the sign, the integer digits without leading zeros,
// and the fraction digits without trailing zeros of a leading number; zero
// is never negative.
func splitNumber(b []byte) (neg bool, ints, frac []byte) {
	b = bytes.TrimLeft(b, " ")
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	ints = bytes.TrimLeft(b[:i], "0")
	if i < len(b) && b[i] == '.' {
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		frac = bytes.TrimRight(b[i+1:j], "0")
	}
	if len(ints) == 0 && len(frac) == 0 {
		neg = false
	}
	return neg, ints, frac
}

// SplitKey returns the length of a line's key: the text before the n-th
// separator, or the whole line if it has fewer (Hadoop Streaming's
// stream.num.map.output.key.fields rule). line has no newline.
func SplitKey(line, sep []byte, n int) int {
	off := 0
	for k := 0; k < n; k++ {
		i := bytes.Index(line[off:], sep)
		if i < 0 {
			return len(line)
		}
		if k == n-1 {
			return off + i
		}
		off += i + len(sep)
	}
	return len(line)
}
