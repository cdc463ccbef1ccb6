package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/storage"
)

// s3History copies the newest job history under an s3:// output
// (prefix/_history/JOB.json; job IDs begin with their UTC time, so the
// newest is the last key) into a temporary directory and returns the
// file's path and a function that removes it. Other arguments are
// returned as they are.
func s3History(ctx context.Context, arg string) (string, func(), error) {
	if !storage.IsURL(arg) {
		return arg, func() {}, nil
	}
	loc, err := storage.Parse("output", arg)
	if err != nil {
		return "", nil, err
	}
	s, err := storage.NewS3(ctx, loc.Bucket)
	if err != nil {
		return "", nil, err
	}
	prefix := loc.Join(jobs.HistoryDir).Key + "/"
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return "", nil, fmt.Errorf("job history: %w", err)
	}
	newest := ""
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".json") && o.Key > newest {
			newest = o.Key
		}
	}
	if newest == "" {
		return "", nil, fmt.Errorf("%s holds no job history (no %s/*.json): is it a job's output?", arg, jobs.HistoryDir)
	}
	dir, err := os.MkdirTemp("", "dockmr-history-")
	if err != nil {
		return "", nil, err
	}
	done := func() { os.RemoveAll(dir) }
	path := filepath.Join(dir, filepath.Base(newest))
	if err := download(ctx, s, newest, path); err != nil {
		done()
		return "", nil, fmt.Errorf("job history: %w", err)
	}
	return path, done, nil
}

// download copies an object into a new file.
func download(ctx context.Context, s storage.Store, key, path string) error {
	rc, err := s.Open(ctx, key, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
