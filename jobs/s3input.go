package jobs

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dockmr/dockmr/storage"
)

// expandS3Input resolves an s3:// input into objects: the object the URL
// names, or else the objects under it as a directory, leaving out those
// with a '_' or '.' name under the prefix (Hadoop's hidden-file rule, which
// skips _SUCCESS, _history and _temporary), in key order.
func expandS3Input(loc storage.Location, outputURL string) ([]inputFile, error) {
	ctx := context.Background()
	s, err := storage.NewS3(ctx, loc.Bucket)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", loc, err)
	}
	if loc.Key != "" {
		if o, err := s.Stat(ctx, loc.Key); err == nil {
			return []inputFile{{loc.String(), o.Size}}, nil
		}
	}
	prefix := loc.Key + "/"
	if loc.Key == "" {
		prefix = ""
	}
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	var files []inputFile
	for _, o := range objs {
		if hiddenKey(strings.TrimPrefix(o.Key, prefix)) {
			continue
		}
		u := storage.Location{Bucket: loc.Bucket, Key: o.Key}.String()
		if outputURL != "" && (u == outputURL || strings.HasPrefix(u, outputURL+"/")) {
			return nil, fmt.Errorf("output %s would overwrite input object %s; choose another output", outputURL, u)
		}
		files = append(files, inputFile{u, o.Size})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("input %s holds no objects (names starting with '_' or '.' are skipped); check the URL", loc)
	}
	return files, nil
}

// hiddenKey reports whether a key below an input prefix has a segment
// starting with '_' or '.'.
func hiddenKey(rel string) bool {
	for _, seg := range strings.Split(rel, "/") {
		if strings.HasPrefix(seg, "_") || strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// readerAtCloser is an input file or object opened for reads at offsets.
type readerAtCloser interface {
	io.ReaderAt
	io.Closer
}

// openAt opens an input file or s3:// object for reads at offsets.
func openAt(path string) (readerAtCloser, error) {
	loc, err := storage.Parse("input", path)
	if err != nil {
		return nil, err
	}
	if !loc.IsS3() {
		return os.Open(path)
	}
	ctx := context.Background()
	s, err := storage.NewS3(ctx, loc.Bucket)
	if err != nil {
		return nil, err
	}
	return nopCloser{storage.ReaderAt{Ctx: ctx, Store: s, Key: loc.Key}}, nil
}

type nopCloser struct{ io.ReaderAt }

func (nopCloser) Close() error { return nil }
