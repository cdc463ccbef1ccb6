package terajob

import (
	"context"
	"io"
	"os"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/storage"
	"github.com/dockmr/dockmr/tera"
)

// inputSource reads sampled records from local files and s3:// objects.
type inputSource struct{ ctx context.Context }

var _ tera.Source = inputSource{}

func (s inputSource) store(path string) (storage.Store, string, bool, error) {
	loc, err := storage.Parse("input", path)
	if err != nil || !loc.IsS3() {
		return nil, "", false, err
	}
	st, err := storage.NewS3(s.ctx, loc.Bucket)
	return st, loc.Key, true, err
}

// Size implements tera.Source.
func (s inputSource) Size(path string) (int64, error) {
	st, key, ok, err := s.store(path)
	if err != nil {
		return 0, err
	}
	if !ok {
		return tera.Files.Size(path)
	}
	o, err := st.Stat(s.ctx, key)
	return o.Size, err
}

// ReadAt implements tera.Source.
func (s inputSource) ReadAt(path string, p []byte, off int64) (int, error) {
	st, key, ok, err := s.store(path)
	if err != nil {
		return 0, err
	}
	if !ok {
		return tera.Files.ReadAt(path, p, off)
	}
	return storage.ReaderAt{Ctx: s.ctx, Store: st, Key: key}.ReadAt(p, off)
}

// openReport opens the report part file in an output directory or under
// an s3:// output.
func openReport(out string, rep *Report) (io.ReadCloser, error) {
	loc, err := storage.Parse("output", out)
	if err != nil {
		return nil, err
	}
	if !loc.IsS3() {
		return os.Open(rep.Path)
	}
	loc = loc.Join(jobs.PartName(jobs.ReduceTask, 0))
	rep.Path = loc.String()
	ctx := context.Background()
	st, err := storage.NewS3(ctx, loc.Bucket)
	if err != nil {
		return nil, err
	}
	return st.Open(ctx, loc.Key, 0, -1)
}
