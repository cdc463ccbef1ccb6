package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/local"
	"github.com/dockmr/dockmr/jobs/terajob"
)

// pauseMapper passes its input through (more than one 8 MiB part, so the
// upload has begun), says so with $READY, waits for $GO, then writes the
// numbers 1 to 1,000,000.
const pauseMapper = `
cat
touch "$READY"
while [ ! -e "$GO" ]; do sleep 0.05; done
seq 1 1000000
`

// TestServerRestartMidUpload restarts the S3 server while a map attempt
// has an upload under way: the attempt's later requests are retried on
// the restarted server and the job commits the whole output.
func TestServerRestartMidUpload(t *testing.T) {
	srv, s := startS3(t)
	var in bytes.Buffer
	for i := 0; in.Len() < 12<<20; i++ {
		fmt.Fprintf(&in, "input line %d\n", i)
	}
	if err := s.Put(context.Background(), "big/in.txt", bytes.NewReader(in.Bytes()), false); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ready, goFile := filepath.Join(dir, "ready"), filepath.Join(dir, "go")
	plan, err := jobs.NewPlan(jobs.Job{
		Name: "restart", Input: jobs.Input{Paths: []string{"s3://tera/big"}, Records: jobs.Lines}, Output: "s3://tera/out",
		Map: jobs.Phase{Func: jobs.Stream, Tasks: 1, Command: []string{"sh", "-c", pauseMapper},
			Env: map[string]string{"READY": ready, "GO": goFile}},
		Settings: jobs.Settings{MaxAttempts: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := jobs.Run(context.Background(), &local.Runner{Command: []string{taskBin}, Log: testLog{t}}, plan)
		done <- err
	}()
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("the job ended before its mapper was ready: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	srv.Restart(t)
	if err := os.WriteFile(goFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the job failed across the server's restart: %v", err)
	}
	seq, err := exec.Command("seq", "1", "1000000").Output()
	if err != nil {
		t.Fatal(err)
	}
	got, names := readObjects(t, s, "out/")
	if want := append(in.Bytes(), seq...); !bytes.Equal(got, want) {
		t.Errorf("output is %d bytes, want %d", len(got), len(want))
	}
	if strings.Join(names, " ") != "_SUCCESS part-m-00000" {
		t.Errorf("output holds %q", names)
	}
	noPending(t, s, "")
}

// TestOverwrite replaces an output of two parts by one of one part: the
// old parts are gone, the new _SUCCESS is there.
func TestOverwrite(t *testing.T) {
	_, s := startS3(t)
	set := jobs.Settings{MaxAttempts: 1}
	run(t)(terajob.Gen{Rows: 2000, Output: "s3://tera/ow", Maps: 2, Settings: set}.Plan())
	set.Overwrite = true
	res := run(t)(terajob.Gen{Rows: 1000, Output: "s3://tera/ow", Maps: 1, Settings: set}.Plan())
	got, names := readObjects(t, s, "ow/")
	if strings.Join(names, " ") != "_SUCCESS part-m-00000" || len(got) != 1000*100 {
		t.Errorf("after --overwrite the output holds %q, %d bytes; want _SUCCESS and one part of 100000 bytes", names, len(got))
	}
	if res.Map.RecordsOut != 1000 {
		t.Errorf("wrote %d records, want 1000", res.Map.RecordsOut)
	}
}
