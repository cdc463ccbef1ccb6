package task

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/tera"
)

// benchInput writes rows of ascii records into files of perFile rows, once
// per benchmark.
func benchInput(b *testing.B, rows, perFile uint64) (dir string, paths []string) {
	b.Helper()
	dir = b.TempDir()
	for start, i := uint64(0), 0; start < rows; start, i = start+perFile, i+1 {
		p := filepath.Join(dir, fmt.Sprintf("in-%03d", i))
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := tera.GenerateTo(f, tera.ASCII, start, min(start+perFile, rows), nil); err != nil {
			b.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
	}
	return dir, paths
}

// BenchmarkTeraSortJob sorts 200 MB in this process: 4 maps and 2
// reduces, two tasks at a time as on a 2-core machine.
func BenchmarkTeraSortJob(b *testing.B) { benchTeraSortJob(b) }

func benchTeraSortJob(b *testing.B) {
	const rows = 2000000
	in, paths := benchInput(b, rows, rows)
	keys, err := tera.SampleKeys(paths, 100000)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(rows * tera.RecordSize)
	for i := 0; b.Loop(); i++ {
		plan, err := jobs.NewPlan(jobs.Job{
			Name:        "terasort",
			Input:       jobs.Input{Paths: []string{in}, Records: jobs.TeraRecords},
			Output:      filepath.Join(b.TempDir(), fmt.Sprint(i)),
			Map:         jobs.Phase{Func: jobs.Identity, Tasks: 4},
			Reduce:      &jobs.Phase{Func: jobs.Identity, Tasks: 2},
			Partitioner: jobs.Partitioner{Kind: jobs.TotalOrder, Cuts: tera.CutPoints(keys, 2)},
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jobs.Run(context.Background(), &twoAtATime{}, plan); err != nil {
			b.Fatal(err)
		}
	}
}

// twoAtATime runs tasks in this process, two at a time.
type twoAtATime struct{}

func (twoAtATime) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	sem := make(chan struct{}, 2)
	errs := make(chan error, plan.Tasks(kind))
	for i := range plan.Tasks(kind) {
		sem <- struct{}{}
		go func() {
			_, err := Run(ctx, Options{PlanFile: plan.PlanFile(), Kind: kind, Index: i, Attempt: "b"})
			errs <- err
			<-sem
		}()
	}
	for range plan.Tasks(kind) {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkMergeTera merges 8 sorted runs of tera records into a part
// writer (which sums their checksum), as a TeraSort reduce does.
func BenchmarkMergeTera(b *testing.B) {
	const runs, perRun = 8, 100000
	a := testAttempt(b, 256, 64)
	var rs []run
	for i := range runs {
		var buf bytes.Buffer
		if err := tera.GenerateTo(&buf, tera.Binary, uint64(i*perRun), uint64((i+1)*perRun), nil); err != nil {
			b.Fatal(err)
		}
		tera.SortRecords(buf.Bytes())
		p := filepath.Join(a.dir, fmt.Sprint(i))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		rs = append(rs, run{path: p, length: int64(buf.Len())})
	}
	b.SetBytes(runs * perRun * tera.RecordSize)
	for b.Loop() {
		m, err := a.openMerge(rs, teraFraming)
		if err != nil {
			b.Fatal(err)
		}
		w := &partWriter{recordSum: recordSum{framing: teraFraming}, w: bufioDiscard()}
		if _, _, err := copyRecords(w, m); err != nil {
			b.Fatal(err)
		}
		m.close()
	}
}

func bufioDiscard() *bufio.Writer { return bufio.NewWriterSize(io.Discard, ioBufSize) }

// BenchmarkCollectLines partitions, sorts and spills line records with a
// hash partitioner through the generic sort buffer, as a streaming map
// does, 64 MiB at a time.
func BenchmarkCollectLines(b *testing.B) {
	var lines [][]byte
	var size int64
	for i := range 500000 {
		l := fmt.Appendf(nil, "key%07d\tvalue of record %d\n", (i*7919)%1000003, i)
		lines = append(lines, l)
		size += int64(len(l))
	}
	b.SetBytes(size)
	for b.Loop() {
		a := testAttempt(b, 64, 64)
		a.plan.Job.Reduce = &jobs.Phase{Func: jobs.Identity, Tasks: 8}
		c := a.newCollector(lineFraming, a.partitioner(), 8)
		for _, l := range lines {
			if err := c.emit(l); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.finish(); err != nil {
			b.Fatal(err)
		}
	}
}
