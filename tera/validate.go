package tera

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// FileReport is what TeraValidate finds in one file.
type FileReport struct {
	Name     string
	Records  uint64   // whole records read
	Sum      Checksum // checksum of the whole records
	FirstKey []byte   // key of the first record, nil if none
	LastKey  []byte   // key of the last record, nil if none
	Errors   []string // misorder and size problems, each naming the file
}

// validateBufRecords is how many records ValidateFile reads at a time.
const validateBufRecords = 10000

// ValidateFile reads the records of one file and checks that their keys do
// not decrease. A misorder is reported once per file, naming the first
// out-of-order record (counting from 0) and how many there are; a size that
// is not a whole number of records is reported too. Both go to the report's
// Errors; the error result is only for failing to read r.
func ValidateFile(r io.Reader, name string) (FileReport, error) {
	buf := make([]byte, validateBufRecords*RecordSize)
	var c fileChecker
	var size uint64
	for {
		n, err := io.ReadFull(r, buf)
		size += uint64(n)
		c.add(buf[:n])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return FileReport{}, fmt.Errorf("validate %s: read after %d bytes: %w", name, size, err)
		}
	}
	return c.report(name, size), nil
}

// fileChecker checks the records of one file, handed to add in order.
type fileChecker struct {
	records    uint64
	sum        Checksum
	first      []byte
	prev       packedKey // key of the last record
	misordered uint64    // records with a key less than the one before
	firstBad   uint64    // index of the first of them
	badKeys    [2][]byte // the key before firstBad and its key
}

// add checks the whole records of buf; a trailing partial record is
// ignored.
func (c *fileChecker) add(buf []byte) {
	n := len(buf) / RecordSize
	if n == 0 {
		return
	}
	if c.records == 0 {
		c.first = slices.Clone(buf[:KeySize])
		c.prev = packKey(buf)
	}
	prev, hi, lo := c.prev, c.sum.Hi, c.sum.Lo
	for i := 0; i < n; i++ {
		rec := buf[i*RecordSize : (i+1)*RecordSize]
		k := packKey(rec)
		if k.hi < prev.hi || k.hi == prev.hi && k.lo < prev.lo {
			c.misorder(c.records+uint64(i), prev, rec)
		}
		prev = k
		var carry uint64
		lo, carry = bits.Add64(lo, uint64(crc32.ChecksumIEEE(rec)), 0)
		hi += carry
	}
	c.prev, c.sum = prev, Checksum{Hi: hi, Lo: lo}
	c.records += uint64(n)
}

func (c *fileChecker) misorder(i uint64, prev packedKey, rec []byte) {
	if c.misordered == 0 {
		c.firstBad = i
		c.badKeys = [2][]byte{unpackKey(prev), slices.Clone(rec[:KeySize])}
	}
	c.misordered++
}

// report returns what the checker found in a file of size bytes.
func (c *fileChecker) report(name string, size uint64) FileReport {
	rep := FileReport{Name: name, Records: c.records, Sum: c.sum, FirstKey: c.first}
	if c.records > 0 {
		rep.LastKey = unpackKey(c.prev)
	}
	if c.misordered > 0 {
		rep.Errors = append(rep.Errors, fmt.Sprintf(
			"misorder in %s: record %d has key %x, less than the previous key %x (%d out-of-order records in the file)",
			name, c.firstBad, c.badKeys[1], c.badKeys[0], c.misordered))
	}
	if tail := size % RecordSize; tail != 0 {
		rep.Errors = append(rep.Errors, fmt.Sprintf(
			"bad size of %s: %d bytes is not a multiple of the %d-byte record (%d whole records and %d bytes more)",
			name, size, RecordSize, c.records, tail))
	}
	return rep
}

func unpackKey(k packedKey) []byte {
	b := make([]byte, KeySize)
	for i := range 8 {
		b[i] = byte(k.hi >> (56 - 8*i))
	}
	b[8], b[9] = byte(k.lo>>8), byte(k.lo)
	return b
}

// Report is TeraValidate's result over a set of files.
type Report struct {
	Files   []FileReport // in name order
	Records uint64       // total records
	Sum     Checksum     // total checksum
	Errors  []string     // every file's errors, then misorders across files
}

// OK reports whether the files are sorted and whole.
func (r Report) OK() bool { return len(r.Errors) == 0 }

// Combine adds up the file reports and checks the order across them: taken
// in name order, each non-empty file's first key must not be less than the
// last key of the non-empty file before it.
func Combine(files []FileReport) Report {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b FileReport) int { return strings.Compare(a.Name, b.Name) })
	r := Report{Files: files}
	var crossErrs []string
	var last *FileReport
	for i := range files {
		f := &files[i]
		r.Records += f.Records
		r.Sum.Add(f.Sum)
		r.Errors = append(r.Errors, f.Errors...)
		if f.Records == 0 {
			continue
		}
		if last != nil && CompareKeys(f.FirstKey, last.LastKey) < 0 {
			crossErrs = append(crossErrs, fmt.Sprintf(
				"misorder between %s and %s: first key %x of %s is less than last key %x of %s",
				last.Name, f.Name, f.FirstKey, f.Name, last.LastKey, last.Name))
		}
		last = f
	}
	r.Errors = append(r.Errors, crossErrs...)
	return r
}

// WriteTo writes the report as Hadoop TeraValidate does: a line
// "checksum\t<hex>" then one "error\t<message>" line per error.
func (r Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "checksum\t%s\n", r.Sum)
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error\t%s\n", e)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// ValidateDir validates the files of a directory in name order, skipping
// names that start with '_' or '.' (such as _SUCCESS) and subdirectories.
// Files are read in parallel, one per CPU.
func ValidateDir(dir string) (Report, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Report{}, fmt.Errorf("validate: %w", err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); !strings.HasPrefix(n, "_") && !strings.HasPrefix(n, ".") && !e.IsDir() {
			names = append(names, n)
		}
	}
	reports := make([]FileReport, len(names))
	errs := make([]error, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(names)) {
		wg.Go(func() {
			for i := range next {
				reports[i], errs[i] = validatePath(filepath.Join(dir, names[i]), names[i])
			}
		})
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Report{}, err
	}
	return Combine(reports), nil
}

func validatePath(path, name string) (FileReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileReport{}, fmt.Errorf("validate: %w", err)
	}
	defer f.Close()
	return ValidateFile(f, name)
}
