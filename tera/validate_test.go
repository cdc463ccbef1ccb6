package tera

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// sortedRecords returns rows [start, end) sorted, and their checksum.
func sortedRecords(t *testing.T, f Format, start, end uint64) ([]byte, Checksum) {
	t.Helper()
	buf, sum := generate(t, f, start, end)
	SortRecords(buf)
	return buf, sum
}

func TestValidateFileSorted(t *testing.T) {
	buf, sum := sortedRecords(t, ASCII, 0, 25000) // several read buffers
	rep, err := ValidateFile(bytes.NewReader(buf), "part-r-00000")
	must.NoError(t, err)
	must.SliceEmpty(t, rep.Errors)
	must.Eq(t, uint64(25000), rep.Records)
	must.Eq(t, sum, rep.Sum)
	must.Eq(t, buf[:KeySize], rep.FirstKey)
	must.Eq(t, buf[len(buf)-RecordSize:][:KeySize], rep.LastKey)
}

func TestValidateFileEmpty(t *testing.T) {
	rep, err := ValidateFile(bytes.NewReader(nil), "empty")
	must.NoError(t, err)
	must.Eq(t, FileReport{Name: "empty"}, rep)
}

func TestValidateFileReportsFirstMisorder(t *testing.T) {
	buf, _ := sortedRecords(t, Binary, 0, 12000)
	rec := func(i int) []byte { return buf[i*RecordSize : (i+1)*RecordSize] }
	// Swap records 10500 and 10501 (the second read buffer), and
	// move a small key to record 11000: two misordered records in all.
	swap := func(i, j int) {
		tmp := slices.Clone(rec(i))
		copy(rec(i), rec(j))
		copy(rec(j), tmp)
	}
	swap(10500, 10501)
	copy(rec(11000)[:KeySize], key(0))
	rep, err := ValidateFile(bytes.NewReader(buf), "part-r-00003")
	must.NoError(t, err)
	must.Len(t, 1, rep.Errors)
	want := fmt.Sprintf("misorder in part-r-00003: record 10501 has key %x, less than the previous key %x (2 out-of-order records in the file)",
		rec(10501)[:KeySize], rec(10500)[:KeySize])
	must.Eq(t, want, rep.Errors[0])
	must.Eq(t, uint64(12000), rep.Records)
}

func TestValidateFileMisorderAtFirstPair(t *testing.T) {
	buf := slices.Concat(append(key(2), make([]byte, 90)...), append(key(1), make([]byte, 90)...))
	rep, err := ValidateFile(bytes.NewReader(buf), "f")
	must.NoError(t, err)
	must.Eq(t, []string{"misorder in f: record 1 has key 01010101010101010101, less than the previous key 02020202020202020202 (1 out-of-order records in the file)"}, rep.Errors)
}

func TestValidateFileEqualKeysAreSorted(t *testing.T) {
	buf := records(500, func(int) []byte { return key(9) })
	rep, err := ValidateFile(bytes.NewReader(buf), "dups")
	must.NoError(t, err)
	must.SliceEmpty(t, rep.Errors)
}

func TestValidateFileBadSize(t *testing.T) {
	buf, _ := sortedRecords(t, Binary, 0, 10001)
	rep, err := ValidateFile(bytes.NewReader(buf[:len(buf)-37]), "part-r-00001")
	must.NoError(t, err)
	must.Eq(t, []string{"bad size of part-r-00001: 1000063 bytes is not a multiple of the 100-byte record (10000 whole records and 63 bytes more)"}, rep.Errors)
	must.Eq(t, uint64(10000), rep.Records)
	must.Eq(t, buf[9999*RecordSize:][:KeySize], rep.LastKey)

	rep, err = ValidateFile(strings.NewReader("tiny"), "x")
	must.NoError(t, err)
	must.Eq(t, []string{"bad size of x: 4 bytes is not a multiple of the 100-byte record (0 whole records and 4 bytes more)"}, rep.Errors)
	must.Nil(t, rep.FirstKey)
}

type brokenReader struct{ r io.Reader }

func (b brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, errors.New("input/output error")
	}
	return n, err
}

func TestValidateFileReadError(t *testing.T) {
	buf, _ := sortedRecords(t, Binary, 0, 100)
	_, err := ValidateFile(brokenReader{bytes.NewReader(buf)}, "part-r-00000")
	must.ErrorContains(t, err, "validate part-r-00000: read after 10000 bytes: input/output error")
}

func TestCombineChecksOrderAcrossFilesInNameOrder(t *testing.T) {
	a := FileReport{Name: "part-r-00000", Records: 2, Sum: Checksum{Lo: 5}, FirstKey: key(1), LastKey: key(3)}
	b := FileReport{Name: "part-r-00001", Records: 1, Sum: Checksum{Lo: 7}, FirstKey: key(3), LastKey: key(3)}
	empty := FileReport{Name: "part-r-00002"}
	c := FileReport{Name: "part-r-00003", Records: 4, Sum: Checksum{Hi: 1}, FirstKey: key(2), LastKey: key(8),
		Errors: []string{"misorder in part-r-00003: ..."}}
	d := FileReport{Name: "part-r-00004", Records: 1, FirstKey: key(9), LastKey: key(9)}

	r := Combine([]FileReport{d, c, empty, b, a}) // any input order
	must.Eq(t, []string{"part-r-00000", "part-r-00001", "part-r-00002", "part-r-00003", "part-r-00004"},
		names(r.Files))
	must.Eq(t, uint64(8), r.Records)
	must.Eq(t, Checksum{Hi: 1, Lo: 12}, r.Sum)
	must.Eq(t, []string{
		"misorder in part-r-00003: ...",
		"misorder between part-r-00001 and part-r-00003: first key 02020202020202020202 of part-r-00003 is less than last key 03030303030303030303 of part-r-00001",
	}, r.Errors)
	must.False(t, r.OK())

	ok := Combine([]FileReport{a, b, empty, d})
	must.True(t, ok.OK())
}

func names(files []FileReport) []string {
	var n []string
	for _, f := range files {
		n = append(n, f.Name)
	}
	return n
}

func TestReportWriteTo(t *testing.T) {
	r := Report{Sum: Checksum{Lo: 0x5b2d1434d}, Errors: []string{"one", "two"}}
	var b strings.Builder
	n, err := r.WriteTo(&b)
	must.NoError(t, err)
	must.Eq(t, "checksum\t5b2d1434d\nerror\tone\nerror\ttwo\n", b.String())
	must.Eq(t, int64(b.Len()), n)
}

// writeParts teragens rows into maps files, then sorts them into parts
// partitions the way terasort does, and writes part-r-NNNNN files.
func writeParts(t *testing.T, dir string, f Format, rows uint64, parts int) Checksum {
	t.Helper()
	all, sum := generate(t, f, 0, rows)
	var samples [][]byte
	for i := 0; i < len(all); i += 10 * RecordSize {
		samples = append(samples, all[i:i+KeySize])
	}
	p := NewPartitioner(CutPoints(samples, parts))
	out := make([][]byte, parts)
	for i := 0; i < len(all); i += RecordSize {
		rec := all[i : i+RecordSize]
		out[p.Partition(rec)] = append(out[p.Partition(rec)], rec...)
	}
	for i, buf := range out {
		SortRecords(buf)
		must.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-r-%05d", i)), buf, 0o644))
	}
	return sum
}

func TestValidateDir(t *testing.T) {
	dir := t.TempDir()
	sum := writeParts(t, dir, Binary, 30000, 5)
	must.NoError(t, os.WriteFile(filepath.Join(dir, "_SUCCESS"), nil, 0o644))
	must.NoError(t, os.WriteFile(filepath.Join(dir, ".part-r-00000.crc"), []byte("junk"), 0o644))
	must.NoError(t, os.Mkdir(filepath.Join(dir, "_temporary"), 0o755))

	r, err := ValidateDir(dir)
	must.NoError(t, err)
	must.Eq(t, []string{"part-r-00000", "part-r-00001", "part-r-00002", "part-r-00003", "part-r-00004"}, names(r.Files))
	must.SliceEmpty(t, r.Errors)
	must.Eq(t, uint64(30000), r.Records)
	must.Eq(t, sum, r.Sum, must.Sprint("sorted output keeps teragen's checksum"))
}

func TestValidateDirFindsProblems(t *testing.T) {
	dir := t.TempDir()
	writeParts(t, dir, ASCII, 20000, 4)
	// Swap two outputs: each is sorted, but not across files.
	p1, p3 := filepath.Join(dir, "part-r-00001"), filepath.Join(dir, "part-r-00003")
	must.NoError(t, os.Rename(p1, p1+".x"))
	must.NoError(t, os.Rename(p3, p1))
	must.NoError(t, os.Rename(p1+".x", p3))
	// Truncate another in the middle of a record.
	p2 := filepath.Join(dir, "part-r-00002")
	st, err := os.Stat(p2)
	must.NoError(t, err)
	must.NoError(t, os.Truncate(p2, st.Size()-1))

	r, err := ValidateDir(dir)
	must.NoError(t, err)
	must.Len(t, 3, r.Errors)
	must.StrHasPrefix(t, "bad size of part-r-00002", r.Errors[0])
	must.StrHasPrefix(t, "misorder between part-r-00001 and part-r-00002", r.Errors[1])
	must.StrHasPrefix(t, "misorder between part-r-00002 and part-r-00003", r.Errors[2])
	var b strings.Builder
	_, err = r.WriteTo(&b)
	must.NoError(t, err)
	must.Eq(t, 4, strings.Count(b.String(), "\n"))
	must.StrHasPrefix(t, "checksum\t", b.String())
}

func TestValidateDirErrors(t *testing.T) {
	_, err := ValidateDir(filepath.Join(t.TempDir(), "missing"))
	must.ErrorIs(t, err, os.ErrNotExist)

	dir := t.TempDir()
	must.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "part-r-00000")))
	_, err = ValidateDir(dir)
	must.ErrorContains(t, err, "part-r-00000")
}

func TestValidateDirEmpty(t *testing.T) {
	r, err := ValidateDir(t.TempDir())
	must.NoError(t, err)
	must.True(t, r.OK())
	must.Eq(t, "0", r.Sum.String())
}

// FuzzValidateFile checks ValidateFile against a record-by-record reading
// of arbitrary input.
func FuzzValidateFile(f *testing.F) {
	f.Add(AppendRecord(AppendRecord(nil, Binary, 1), Binary, 0))
	f.Add(append(AppendRecord(nil, ASCII, 0), "xx"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ValidateFile(bytes.NewReader(data), "fuzz")
		must.NoError(t, err)
		n := len(data) / RecordSize
		must.Eq(t, uint64(n), rep.Records)
		var sum Checksum
		sum.AddRecords(data)
		must.Eq(t, sum, rep.Sum)
		firstBad := -1
		for i := 1; i < n && firstBad < 0; i++ {
			if CompareKeys(data[i*RecordSize:], data[(i-1)*RecordSize:]) < 0 {
				firstBad = i
			}
		}
		errs := strings.Join(rep.Errors, "\n")
		must.Eq(t, firstBad >= 0, strings.Contains(errs, "misorder"))
		if firstBad >= 0 {
			must.StrContains(t, errs, fmt.Sprintf("record %d has key", firstBad))
		}
		must.Eq(t, len(data)%RecordSize != 0, strings.Contains(errs, "bad size"))
	})
}
