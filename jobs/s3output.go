package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockmr/dockmr/storage"
)

// An S3 output (s3://bucket/prefix) is committed as S3A's magic committer
// does, without copying data: each task attempt streams its part file into
// a multipart upload of the part's final key and leaves it pending (invisible
// to readers); the attempt's manifest, committed by the rename of its local
// attempt directory as for a directory output (the first attempt wins),
// records the upload. The job commit completes exactly the uploads of the
// committed attempts, aborts every other pending upload under the prefix
// (losers, killed attempts) and writes _SUCCESS last. A failed job aborts
// every pending upload and leaves no part object.
//
// The staging directory (plan, attempt directories, map output) and the
// history stay local, in the job's local output directory under the staging
// root; the history is published under prefix/_history/ after the job.

// StagingRootEnv names the variable that sets where jobs with an S3 output
// keep their local output directory; on Nomad it must be under a data
// directory every client sees. Unset, the first of DOCKMR_DATA_DIR is used,
// else the system's temporary directory.
const StagingRootEnv = "DOCKMR_STAGING_DIR"

// stagingRoot returns the directory under which jobs with an S3 output
// keep their local output directory.
func stagingRoot() string {
	if d := os.Getenv(StagingRootEnv); d != "" {
		return d
	}
	if d, _, _ := strings.Cut(os.Getenv("DOCKMR_DATA_DIR"), ","); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "dockmr-staging")
}

// resolveOutput makes the job's output absolute, or, for an s3:// output,
// sets OutputURL and points Output at the job's local output directory.
func resolveOutput(job *Job) (string, error) {
	if job.OutputURL != "" { // planned before
		return job.Output, nil
	}
	loc, err := storage.Parse("output", job.Output)
	if err != nil {
		return "", err
	}
	if loc.IsS3() {
		job.OutputURL = loc.String()
		root, err := filepath.Abs(stagingRoot())
		if err != nil {
			return "", fmt.Errorf("%s %q: %w", StagingRootEnv, stagingRoot(), err)
		}
		job.Output = filepath.Join(root, "_s3", loc.Bucket, filepath.FromSlash(loc.Key))
		return job.Output, nil
	}
	out, err := filepath.Abs(job.Output)
	if err != nil {
		return "", fmt.Errorf("output %q: %w", job.Output, err)
	}
	job.Output = out
	return out, nil
}

// OutputLocation returns where the job commits: its S3 URL or its output
// directory.
func (p *Plan) OutputLocation() storage.Location {
	if p.Job.OutputURL != "" {
		loc, _ := storage.Parse("output", p.Job.OutputURL) // checked by planning
		return loc
	}
	return storage.Location{Key: p.Job.Output}
}

// outputStore returns the store and key prefix ('/'-ended) of an S3 output.
func (p *Plan) outputStore(ctx context.Context) (*storage.S3, string, error) {
	loc := p.OutputLocation()
	s, err := storage.NewS3(ctx, loc.Bucket)
	if err != nil {
		return nil, "", fmt.Errorf("output %s: %w", loc, err)
	}
	prefix := loc.Key + "/"
	if loc.Key == "" {
		prefix = ""
	}
	return s, prefix, nil
}

// CheckS3Output checks an S3 output as staging the job will: before
// anything is submitted.
func (p *Plan) CheckS3Output(ctx context.Context) error { return p.checkS3Output(ctx) }

// checkS3Output checks, before any task runs, that the bucket exists and
// the credentials reach it, and that the prefix holds no output (other than
// history) unless the job may overwrite it.
func (p *Plan) checkS3Output(ctx context.Context) error {
	s, prefix, err := p.outputStore(ctx)
	if err != nil {
		return err
	}
	if err := s.CheckBucket(ctx); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if p.Job.Settings.Overwrite {
		return nil
	}
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	for _, o := range objs {
		if !strings.HasPrefix(o.Key, prefix+HistoryDir+"/") {
			return fmt.Errorf("%w: %s holds %s", ErrOutputExists, p.Job.OutputURL, storage.Location{Bucket: s.Bucket, Key: o.Key})
		}
	}
	return nil
}

// commitS3 commits a job with an S3 output: it completes the committed
// attempts' uploads, aborts every other pending upload under the prefix and
// writes _SUCCESS last. With Overwrite, the previous output (but its
// history) goes first, _SUCCESS before the rest.
func (p *Plan) commitS3() (*Result, error) {
	ctx := context.Background()
	res, outputs, err := p.collect()
	if err != nil {
		return nil, err
	}
	res.Output = p.Job.OutputURL
	s, prefix, err := p.outputStore(ctx)
	if err != nil {
		return nil, err
	}
	if p.Job.Settings.Overwrite {
		if err := clearS3Output(ctx, s, prefix); err != nil {
			return nil, err
		}
	}
	winners := map[string]bool{}
	for _, m := range outputs {
		for _, u := range m.Uploads {
			if !strings.HasPrefix(u.Key, prefix) {
				return nil, fmt.Errorf("commit: %s lists an upload of %s, outside the output %s", m.Task, u.Key, p.Job.OutputURL)
			}
			if err := completeUpload(ctx, s, u); err != nil {
				return nil, fmt.Errorf("commit %s: %w", m.Task, err)
			}
			winners[u.UploadID] = true
		}
	}
	if err := abortPending(ctx, s, prefix, winners); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("commit: encode result: %w", err)
	}
	if err := s.Put(ctx, prefix+SuccessFile, bytes.NewReader(append(b, '\n')), false); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	p.removeStaging()
	return res, nil
}

// completeUpload completes a pending upload; one that a cut-short commit
// completed already is done.
func completeUpload(ctx context.Context, s *storage.S3, u storage.Pending) error {
	err := s.Complete(ctx, u)
	if errors.Is(err, storage.ErrNotFound) {
		if _, serr := s.Stat(ctx, u.Key); serr == nil {
			return nil
		}
	}
	return err
}

// clearS3Output removes a previous output but its history: _SUCCESS
// first, so that no reader takes the rest for a committed output.
func clearS3Output(ctx context.Context, s *storage.S3, prefix string) error {
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("commit: clear previous output: %w", err)
	}
	if err := s.DeletePrefix(ctx, prefix+SuccessFile); err != nil {
		return fmt.Errorf("commit: clear previous output: %w", err)
	}
	for _, o := range objs {
		if strings.HasPrefix(o.Key, prefix+HistoryDir+"/") || o.Key == prefix+SuccessFile {
			continue
		}
		if err := s.DeletePrefix(ctx, o.Key); err != nil {
			return fmt.Errorf("commit: clear previous output: %w", err)
		}
	}
	return nil
}

// abortPending aborts the pending uploads under prefix but the winners'.
func abortPending(ctx context.Context, s *storage.S3, prefix string, winners map[string]bool) error {
	pending, err := s.Pending(ctx, prefix)
	if err != nil {
		return err
	}
	var errs []error
	for _, u := range pending {
		if !winners[u.UploadID] {
			errs = append(errs, s.Abort(ctx, u))
		}
	}
	return errors.Join(errs...)
}

// abortS3 aborts every pending upload of a failed job's output.
func (p *Plan) abortS3() error {
	ctx := context.Background()
	s, prefix, err := p.outputStore(ctx)
	if err != nil {
		return err
	}
	if err := abortPending(ctx, s, prefix, nil); err != nil {
		return fmt.Errorf("abort: %w", err)
	}
	return nil
}

// PublishHistory copies what a job with an S3 output left in its local
// output directory, its history, under the output prefix
// (prefix/_history/...), then removes the local directory. Jobs with a
// directory output keep their history where it is.
func (p *Plan) PublishHistory(ctx context.Context) error {
	if p.Job.OutputURL == "" {
		return nil
	}
	s, prefix, err := p.outputStore(ctx)
	if err != nil {
		return err
	}
	dir := filepath.Join(p.Job.Output, HistoryDir)
	err = filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(p.Job.Output, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return s.Put(ctx, prefix+filepath.ToSlash(rel), bytes.NewReader(p.namingURL(b)), false)
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("publish the history of job %s to %s: %w", p.ID, p.Job.OutputURL, err)
	}
	os.RemoveAll(dir)
	os.Remove(p.Job.Output) // kept if another job stages there
	return nil
}

// InputPaths returns the job's input files and objects.
func (p *Plan) InputPaths() []string { return p.Job.Input.Paths }

// OpenStaging creates the directories above the local output directory of
// a job with an S3 output, from the staging root's _s3 down, open to every
// user with the sticky bit (as /tmp is): the tasks, and a detached job's
// application master, run as another user than the submitter's and create
// their jobs' directories there.
func (p *Plan) OpenStaging() error {
	if p.Job.OutputURL == "" {
		return nil
	}
	loc := p.OutputLocation()
	rel := filepath.Join("_s3", loc.Bucket, filepath.FromSlash(loc.Key))
	root := strings.TrimSuffix(p.Job.Output, string(filepath.Separator)+rel)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("create the staging root of %s: %w; check %s", p.Job.OutputURL, err, StagingRootEnv)
	}
	dir := root
	for _, seg := range strings.Split(filepath.Dir(rel), string(filepath.Separator)) {
		dir = filepath.Join(dir, seg)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create the staging directory of %s: %w; check %s", p.Job.OutputURL, err, StagingRootEnv)
		}
		_ = os.Chmod(dir, 0o777|os.ModeSticky) // fails harmlessly on another user's directory
	}
	return nil
}

// namingURL returns a history record with its output set to the job's
// URL rather than its local output directory; what does not decode as a
// JSON object is returned as it is.
func (p *Plan) namingURL(record []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(record, &m) != nil {
		return record
	}
	u, _ := json.Marshal(p.Job.OutputURL)
	m["output"] = u
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return record
	}
	return append(b, '\n')
}
