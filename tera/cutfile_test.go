package tera

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

func TestCutPointsFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "_partitions")
	for _, cuts := range [][][]byte{
		nil,
		{key(0)},
		{key(0), key(0x0a), key(0x0a), key(0xff)},
		{AppendRecord(nil, ASCII, 1)[:KeySize], AppendRecord(nil, ASCII, 0)[:KeySize]},
	} {
		if len(cuts) == 2 && CompareKeys(cuts[0], cuts[1]) > 0 {
			cuts[0], cuts[1] = cuts[1], cuts[0]
		}
		must.NoError(t, WriteCutPoints(path, cuts))
		got, err := ReadCutPoints(path)
		must.NoError(t, err)
		must.Eq(t, len(cuts), len(got))
		for i := range cuts {
			must.Eq(t, cuts[i], got[i])
		}
	}
	entries, err := os.ReadDir(dir)
	must.NoError(t, err)
	must.Len(t, 1, entries, must.Sprint("no temporary files left behind"))
}

func TestCutPointsFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cuts")
	must.NoError(t, WriteCutPoints(path, [][]byte{[]byte("JimGrayRIP")}))
	b, err := os.ReadFile(path)
	must.NoError(t, err)
	must.Eq(t, "4a696d47726179524950\n", string(b))
}

func TestReadCutPointsRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ content, want string }{
		"not hex":      {"0011\nzz11\n", `line 2: "zz11" is not a hex key`},
		"odd digits":   {"001\n", `line 1: "001" is not a hex key`},
		"empty line":   {"00\n\n01\n", `line 2: key "" is 0 bytes long, want 1 to 10`},
		"too long":     {"0102030405060708090a0b\n", "is 11 bytes long"},
		"out of order": {"0a\n0b\n09\n", "line 3: key 09 sorts before the previous key 0b"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			must.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			_, err := ReadCutPoints(path)
			must.ErrorContains(t, err, tc.want)
			must.StrContains(t, err.Error(), path)
		})
	}
	_, err := ReadCutPoints(filepath.Join(dir, "missing"))
	must.ErrorIs(t, err, os.ErrNotExist)
}

func TestWriteCutPointsFailureLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory where the file should go: the rename fails.
	blocker := filepath.Join(dir, "cuts")
	must.NoError(t, os.MkdirAll(filepath.Join(blocker, "x"), 0o755))
	err := WriteCutPoints(blocker, [][]byte{key(2)})
	must.ErrorContains(t, err, "write cut points")
	entries, err := os.ReadDir(dir)
	must.NoError(t, err)
	must.Len(t, 1, entries)
	must.Eq(t, "cuts", entries[0].Name())

	err = WriteCutPoints(filepath.Join(dir, "missing-dir", "cuts"), nil)
	must.ErrorIs(t, err, os.ErrNotExist)
}
