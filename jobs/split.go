package jobs

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/dockmr/dockmr/tera"
)

// DefaultSplitSize is the split size that planning aims for when the job
// leaves the number of map tasks to it.
const DefaultSplitSize = 128 << 20

// rowSplits divides rows [0, rows) into maps ranges as TeraGen does.
func rowSplits(rows uint64, maps int) []Split {
	splits := make([]Split, maps)
	for i := range splits {
		start, end := tera.RowRange(rows, maps, i)
		splits[i] = Split{FirstRow: start, Rows: end - start}
	}
	return splits
}

// fileSplits divides files into splits of about total/maps bytes (or
// DefaultSplitSize when maps is 0). A split never spans two files and
// never cuts a record: tera splits are whole records, and a line belongs to
// the split it starts in. Files are cut evenly, so a file gets at least one
// split and splits of one file differ in size by at most a record or line.
// A compressed file (see CodecOf) is one split.
func fileSplits(files []inputFile, records Records, maps int) ([]Split, error) {
	var total int64
	for _, f := range files {
		total += f.size
	}
	if maps == 0 {
		maps = int(max(1, ceilDiv(total, DefaultSplitSize)))
	}
	target := ceilDiv(total, int64(maps))
	var splits []Split
	for _, f := range files {
		if f.size == 0 {
			continue
		}
		n := int(ceilDiv(f.size, target))
		if CodecOf(f.path) != NoCodec {
			n = 1 // a compressed file is read whole
		}
		cuts, err := cutFile(f, records, n)
		if err != nil {
			return nil, err
		}
		for i := 1; i < len(cuts); i++ {
			if cuts[i] > cuts[i-1] {
				splits = append(splits, Split{Path: f.path, Offset: cuts[i-1], Length: cuts[i] - cuts[i-1]})
			}
		}
	}
	return splits, nil
}

// cutFile returns the n+1 boundaries of n even splits of a file, from 0 to
// its size, aligned to its records.
func cutFile(f inputFile, records Records, n int) ([]int64, error) {
	cuts := make([]int64, n+1)
	cuts[n] = f.size
	if n == 1 {
		return cuts, nil
	}
	if records == TeraRecords {
		recs := f.size / tera.RecordSize
		for i := 1; i < n; i++ {
			cuts[i] = recs * int64(i) / int64(n) * tera.RecordSize
		}
		return cuts, nil
	}
	file, err := openAt(f.path)
	if err != nil {
		return nil, fmt.Errorf("split input: %w", err)
	}
	defer file.Close()
	for i := 1; i < n; i++ {
		if cuts[i], err = lineStart(file, f.size, f.size*int64(i)/int64(n)); err != nil {
			return nil, fmt.Errorf("split input %s: %w", f.path, err)
		}
	}
	return cuts, nil
}

// lineStart returns the offset of the first line that starts at or after
// off: just past the first newline at or after off-1, or size if none.
func lineStart(r io.ReaderAt, size, off int64) (int64, error) {
	if off <= 0 {
		return 0, nil
	}
	buf := make([]byte, 64<<10)
	for pos := off - 1; pos < size; pos += int64(len(buf)) {
		n, err := r.ReadAt(buf, pos)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("find the line at byte %d: %w", off, err)
		}
	}
	return size, nil
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
