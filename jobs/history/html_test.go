package history

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/internal/browsertest"
)

func TestWriteHTML_OneBarPerAttempt(t *testing.T) {
	rec := sampleRecord()
	var b strings.Builder
	must.NoError(t, WriteHTML(&b, rec))
	keys := barKeys(b.String())
	must.SliceLen(t, len(rec.Attempts), keys)
	seen := map[string]bool{}
	for _, k := range keys {
		must.False(t, seen[k], must.Sprintf("bar %s twice", k))
		seen[k] = true
	}
	must.MapContainsKeys(t, seen, []string{"m-00001.1", "m-00001.2", "r-00001.1"})
	must.StrContains(t, b.String(), `class="bar map failed"`)
	must.StrContains(t, b.String(), `<circle class="mark"`, must.Sprint("the failed attempt's marker"))
}

// barKey finds the bars: elements with a data-attempt attribute.
var barKey = regexp.MustCompile(`<[a-z]+ [^>]*\bdata-attempt="([^"]*)"`)

func barKeys(page string) []string {
	var keys []string
	for _, m := range barKey.FindAllStringSubmatch(page, -1) {
		keys = append(keys, m[1])
	}
	return keys
}

// hostileRecord carries markup wherever a user or a node can put text.
func hostileRecord() *Record {
	rec := sampleRecord()
	rec.Name = `"><img src=x onerror=alert(1)>`
	rec.Output = `/data/</title><script>alert(2)</script>`
	rec.Attempts[0].Node = `<script>alert(3)</script>`
	rec.Attempts[1].Failure = `exit code 1: </text></svg><script>alert(4)</script>`
	rec.Error = `<b onmouseover=alert(5)>boom</b>`
	rec.State = StateFailed
	return rec
}

func TestWriteHTML_EscapesHostileStrings(t *testing.T) {
	var b strings.Builder
	must.NoError(t, WriteHTML(&b, hostileRecord()))
	page := b.String()
	for _, raw := range []string{"<img src=x", "<script>alert", "<b onmouseover", "</svg><script>"} {
		must.StrNotContains(t, page, raw)
	}
	must.StrContains(t, page, "&lt;script&gt;alert(3)&lt;/script&gt;")
	must.Eq(t, 1, strings.Count(page, "<script>"), must.Sprint("only the page's own script"))
	must.SliceLen(t, len(hostileRecord().Attempts), barKeys(page))
}

// The page renders in a real browser, which runs its script, keeps every
// bar and sees hostile strings as text only.
func TestWriteHTML_RendersInChromium(t *testing.T) {
	browsertest.Require(t)
	dir := t.TempDir()
	for name, rec := range map[string]*Record{"sample.html": sampleRecord(), "hostile.html": hostileRecord()} {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		must.NoError(t, err)
		must.NoError(t, WriteHTML(f, rec))
		must.NoError(t, f.Close())

		dom := browsertest.DumpDOM(t, path)
		must.SliceLen(t, len(rec.Attempts), barKeys(dom), must.Sprint(name))
		must.Eq(t, 1, strings.Count(dom, "<script"), must.Sprint(name, ": script elements after rendering"))
		must.Eq(t, 1, strings.Count(dom, "<title>"), must.Sprint(name, ": the script replaces the bars' native tooltips"))
	}
}
