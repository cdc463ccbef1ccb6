package jobs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dockmr/dockmr/storage"
	"github.com/dockmr/dockmr/tera"
)

// inputFile is one resolved input file.
type inputFile struct {
	path string
	size int64
}

// resolveInput expands the input paths into files: a directory stands for
// its regular files whose names do not start with '_' or '.' (Hadoop's
// hidden-file rule, which skips _SUCCESS), in name order. It refuses missing
// paths, input that holds no bytes, tera files that are not whole records,
// and an output directory that is or holds an input.
func resolveInput(in Input, output, outputURL string) ([]inputFile, error) {
	var files []inputFile
	for i, p := range in.Paths {
		loc, err := storage.Parse(fmt.Sprintf("input %d", i+1), p)
		if err != nil {
			return nil, err
		}
		if loc.IsS3() {
			got, err := expandS3Input(loc, outputURL)
			if err != nil {
				return nil, err
			}
			files = append(files, got...)
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", p, err)
		}
		got, err := expandInput(abs)
		if err != nil {
			return nil, err
		}
		files = append(files, got...)
	}
	var total int64
	for _, f := range files {
		if f.path == output || strings.HasPrefix(f.path, output+string(filepath.Separator)) {
			return nil, fmt.Errorf("output %s would overwrite input file %s; choose another output directory", output, f.path)
		}
		if in.Records == TeraRecords && CodecOf(f.path) == NoCodec && f.size%tera.RecordSize != 0 {
			return nil, fmt.Errorf("input file %s: size %d bytes is not a multiple of the %d-byte record (%d bytes over)",
				f.path, f.size, tera.RecordSize, f.size%tera.RecordSize)
		}
		total += f.size
	}
	if total == 0 {
		return nil, fmt.Errorf("input %q is empty: no file holds any bytes", in.Paths)
	}
	return files, nil
}

// expandInput resolves one absolute input path into files.
func expandInput(path string) ([]inputFile, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("input %s does not exist", path)
	}
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	if st.Mode().IsRegular() {
		return []inputFile{{path, st.Size()}}, nil
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("input %s is neither a regular file nor a directory", path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	var files []inputFile
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") {
			continue
		}
		full := filepath.Join(path, name)
		st, err := os.Stat(full)
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		if st.Mode().IsRegular() {
			files = append(files, inputFile{full, st.Size()})
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("input directory %s holds no input files (names starting with '_' or '.' are skipped)", path)
	}
	slices.SortFunc(files, func(a, b inputFile) int { return strings.Compare(a.path, b.path) })
	return files, nil
}
