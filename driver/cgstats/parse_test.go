package cgstats

import (
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

func TestParseUint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"42", 42, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"max", 0, false},
		{"12 ", 0, false},
	} {
		got, ok := parseUint([]byte(tc.in))
		must.Eq(t, tc.ok, ok, must.Sprintf("input %q", tc.in))
		must.Eq(t, tc.want, got, must.Sprintf("input %q", tc.in))
	}
}

func TestSingleValue(t *testing.T) {
	v, err := singleValue("memory.current", []byte("3514368\n"))
	must.NoError(t, err)
	must.Eq(t, 3514368, v)

	_, err = singleValue("memory.current", []byte("max\n"))
	must.ErrorContains(t, err, `memory.current: content "max\n" is not an unsigned decimal integer`)

	_, err = singleValue("memory.current", []byte{})
	must.ErrorContains(t, err, `memory.current: content ""`)
}

func TestFlatKeyed(t *testing.T) {
	f := flatKeyed{name: "cpu.stat", data: []byte("usage_usec 10\nodd line without value\nnr_throttled x\nuser_usec 7")}

	v, found, err := f.lookup("usage_usec")
	must.NoError(t, err)
	must.True(t, found)
	must.Eq(t, 10, v)

	// The last line has no newline; malformed lines of other keys are not
	// looked at.
	v, err = f.require("user_usec")
	must.NoError(t, err)
	must.Eq(t, 7, v)

	_, found, err = f.lookup("usage")
	must.NoError(t, err)
	must.False(t, found, must.Sprint("a key is matched whole, not by prefix"))

	_, _, err = f.lookup("nr_throttled")
	must.ErrorContains(t, err, `cpu.stat: line "nr_throttled x": value "x" of nr_throttled is not an unsigned decimal integer`)

	_, err = f.require("system_usec")
	must.ErrorContains(t, err, `cpu.stat: no "system_usec" line in content "usage_usec 10\n`)

	v, found, err = f.first("total_rss", "usage_usec")
	must.NoError(t, err)
	must.True(t, found)
	must.Eq(t, 10, v)
}

func TestQuoteShortensLongContent(t *testing.T) {
	q := quote([]byte(strings.Repeat("x", 1000)))
	must.StrHasSuffix(t, `"...`, q)
	must.Less(t, 130, len(q))
}

func TestAsDuration(t *testing.T) {
	d, err := asDuration("cpu.stat", "usage_usec", 1500, 1000)
	must.NoError(t, err)
	must.Eq(t, 1500000, d)

	_, err = asDuration("cpu.stat", "usage_usec", 1<<62, 1000)
	must.ErrorContains(t, err, "cpu.stat: usage_usec value 4611686018427387904 is out of range")
	_, err = asDuration("cpuacct.usage", "", 1<<63, 1)
	must.ErrorContains(t, err, "cpuacct.usage: value 9223372036854775808 is out of range")
}
