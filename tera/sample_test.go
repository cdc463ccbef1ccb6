package tera

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

// writeGenerated writes rows in maps part-m files and returns their paths.
func writeGenerated(t *testing.T, dir string, rows uint64, maps int) []string {
	t.Helper()
	var paths []string
	for i := range maps {
		start, end := RowRange(rows, maps, i)
		var buf bytes.Buffer
		must.NoError(t, GenerateTo(&buf, Binary, start, end, nil))
		p := filepath.Join(dir, fmt.Sprintf("part-m-%05d", i))
		must.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
		paths = append(paths, p)
	}
	return paths
}

func TestSampleKeysEvenlySpaced(t *testing.T) {
	paths := writeGenerated(t, t.TempDir(), 1000, 3)
	keys, err := SampleKeys(paths, 50)
	must.NoError(t, err)
	must.Len(t, 50, keys)
	// 10 runs of 5 consecutive rows starting at rows 0, 100, ..., 900,
	// whichever file holds them.
	i := 0
	for r := range uint64(10) {
		for k := range uint64(5) {
			must.Eq(t, AppendRecord(nil, Binary, 100*r+k)[:KeySize], keys[i], must.Sprintf("sample %d", i))
			i++
		}
	}
}

func TestSampleKeysAcrossFileBoundaries(t *testing.T) {
	dir := t.TempDir()
	paths := writeGenerated(t, dir, 30, 15) // 2 rows per file
	keys, err := SampleKeys(paths, 30)
	must.NoError(t, err)
	must.Len(t, 30, keys)
	for i, k := range keys {
		must.Eq(t, AppendRecord(nil, Binary, uint64(i))[:KeySize], k)
	}
}

func TestSampleKeysSmallInputs(t *testing.T) {
	dir := t.TempDir()
	paths := writeGenerated(t, dir, 4, 1)
	keys, err := SampleKeys(paths, 100)
	must.NoError(t, err)
	must.Len(t, 4, keys, must.Sprint("every record once"))

	keys, err = SampleKeys(paths, 0)
	must.NoError(t, err)
	must.SliceEmpty(t, keys)

	empty := filepath.Join(dir, "empty")
	must.NoError(t, os.WriteFile(empty, nil, 0o644))
	keys, err = SampleKeys([]string{empty}, 10)
	must.NoError(t, err)
	must.SliceEmpty(t, keys)

	_, err = SampleKeys([]string{filepath.Join(dir, "missing")}, 10)
	must.ErrorIs(t, err, os.ErrNotExist)
}
