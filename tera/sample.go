package tera

import (
	"fmt"
	"io"
	"os"
)

// sampleRegions is how many evenly spaced places SampleKeys reads from, as
// Hadoop TeraSort samples at most 10 input splits.
const sampleRegions = 10

// SampleKeys reads about n keys from the records of files, taken as one
// sequence of records in the given order: it reads runs of consecutive
// records at up to 10 evenly spaced places, as Hadoop TeraSort samples the
// starts of 10 evenly spaced splits. Trailing partial records are ignored.
func SampleKeys(paths []string, n int) ([][]byte, error) {
	return SampleKeysFrom(Files, paths, n)
}

// Source is where SampleKeysFrom reads records: local files, or objects.
type Source interface {
	// Size returns the size of the file at path.
	Size(path string) (int64, error)
	// ReadAt reads len(p) bytes of the file at path from off.
	ReadAt(path string, p []byte, off int64) (int, error)
}

// Files is the Source of local files.
var Files Source = files{}

type files struct{}

func (files) Size(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (files) ReadAt(path string, p []byte, off int64) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.ReadAt(p, off)
}

// SampleKeysFrom is SampleKeys over the files of a Source.
func SampleKeysFrom(src Source, paths []string, n int) ([][]byte, error) {
	type input struct {
		path    string
		records int64
	}
	var inputs []input
	var total int64
	for _, p := range paths {
		size, err := src.Size(p)
		if err != nil {
			return nil, fmt.Errorf("sample keys: %w", err)
		}
		inputs = append(inputs, input{p, size / RecordSize})
		total += size / RecordSize
	}
	if n <= 0 || total == 0 {
		return nil, nil
	}
	regions := int64(min(sampleRegions, n))
	per := int64(n) / regions
	keys := make([][]byte, 0, n)
	for r := range regions {
		start := r * total / regions
		count := min(per, (r+1)*total/regions-start)
		for _, in := range inputs {
			if count == 0 {
				break
			}
			if start >= in.records {
				start -= in.records
				continue
			}
			m := min(count, in.records-start)
			got, err := readKeys(src, in.path, start, m)
			if err != nil {
				return nil, err
			}
			keys = append(keys, got...)
			count -= m
			start = 0
		}
	}
	return keys, nil
}

// readKeys reads the keys of records [start, start+n) of a file.
func readKeys(src Source, path string, start, n int64) ([][]byte, error) {
	buf := make([]byte, n*RecordSize)
	if got, err := src.ReadAt(path, buf, start*RecordSize); got < len(buf) {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the file shrank since it was measured
		}
		return nil, fmt.Errorf("sample keys: read records %d-%d of %s: %w", start, start+n-1, path, err)
	}
	// Copy the keys out so that the records can be dropped.
	all := make([]byte, n*KeySize)
	keys := make([][]byte, n)
	for i := range keys {
		k := all[i*KeySize : (i+1)*KeySize : (i+1)*KeySize]
		copy(k, buf[i*RecordSize:])
		keys[i] = k
	}
	return keys, nil
}
