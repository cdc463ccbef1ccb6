package tera

import (
	"testing"

	"github.com/shoenig/test/must"
)

func TestParseFormat(t *testing.T) {
	for _, f := range []Format{Binary, ASCII} {
		got, err := ParseFormat(f.String())
		must.NoError(t, err)
		must.Eq(t, f, got)
	}
}

func TestParseFormatRejectsUnknownNames(t *testing.T) {
	for _, s := range []string{"", "Binary", "text", "gensort"} {
		_, err := ParseFormat(s)
		must.ErrorContains(t, err, `"binary" or "ascii"`)
		must.StrContains(t, err.Error(), `"`+s+`"`)
	}
	must.Eq(t, "Format(7)", Format(7).String())
}
