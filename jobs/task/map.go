package task

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/storage"
	"github.com/dockmr/dockmr/tera"
)

// emitter takes map output records one at a time.
type emitter interface {
	emit(rec []byte) error
}

// runMap runs a map task: its function over its split, into its part file
// in a map-only job and into the sort buffer otherwise.
func (a *attempt) runMap(ctx context.Context) error {
	if err := a.checkKeys(); err != nil {
		return err
	}
	split := a.plan.Splits[a.index]
	fn := a.plan.Job.Map.Func
	if fn == jobs.TeraGen {
		return a.teraGen(split)
	}
	a.manifest.Counters.BytesIn = uint64(split.Length)
	compressed := jobs.CodecOf(split.Path) != jobs.NoCodec
	if a.plan.Reduces() > 0 && fn == jobs.Identity && a.inputFraming() == teraFraming && a.ordered() && !compressed {
		return a.sortTeraSplit(split)
	}
	read := a.step("read", telemetry.Bytes.Int64(split.Length))
	in, closeIn, err := openSplit(ctx, split)
	endStep(read, err)
	if err != nil {
		return err
	}
	defer closeIn()
	if a.plan.Reduces() == 0 {
		return a.mapToPart(ctx, in, split)
	}
	c := a.newCollector(a.mapOutputFraming(), a.partitioner(), a.plan.Reduces())
	switch fn {
	case jobs.Identity:
		err = a.emitRecords(in, c)
	case jobs.Stream:
		err = a.streamMap(ctx, in, split, c)
	case jobs.TeraValidate:
		err = a.validateSplit(in, split, c)
	default:
		err = fmt.Errorf("map function %q is not supported", fn)
	}
	if err != nil {
		return err
	}
	return c.finish()
}

// mapToPart runs a map of a map-only job, whose output is its part file.
func (a *attempt) mapToPart(ctx context.Context, in io.Reader, split jobs.Split) error {
	w, err := a.createPart(a.mapOutputFraming())
	if err != nil {
		return err
	}
	switch fn := a.plan.Job.Map.Func; fn {
	case jobs.Identity:
		_, err = io.Copy(w, in)
	case jobs.Stream:
		err = a.streamMap(ctx, in, split, w)
	default:
		err = fmt.Errorf("map function %q needs a reduce phase", fn)
	}
	if err != nil {
		w.abandon()
		return err
	}
	if err := a.writePart(w); err != nil {
		return err
	}
	if a.plan.Job.Map.Func == jobs.Identity {
		a.manifest.Counters.RecordsIn = a.manifest.Counters.RecordsOut
	}
	return nil
}

// openSplit opens the byte range of a file or S3 object that a split covers,
// decompressed if the file's name claims a codec (a compressed file is one
// split).
func openSplit(ctx context.Context, s jobs.Split) (io.Reader, func(), error) {
	if loc, err := storage.Parse("input", s.Path); err == nil && loc.IsS3() {
		rc, err := openS3Split(ctx, loc, s)
		if err != nil {
			return nil, nil, err
		}
		r, free, err := decompress(rc, jobs.CodecOf(s.Path), s.Path)
		if err != nil {
			rc.Close()
			return nil, nil, err
		}
		return r, func() { free(); rc.Close() }, nil
	}
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("open input: %w", err)
	}
	r, free, err := decompress(io.NewSectionReader(f, s.Offset, s.Length), jobs.CodecOf(s.Path), s.Path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, func() { free(); f.Close() }, nil
}

// inputFraming returns the framing of the job's input records.
func (a *attempt) inputFraming() framing {
	if a.plan.Job.Input.Records == jobs.TeraRecords {
		return teraFraming
	}
	return lineFraming
}

// mapOutputFraming returns the framing of the map function's output:
// lines under the job's key options, or tera records.
func (a *attempt) mapOutputFraming() framing {
	switch a.plan.Job.Map.Func {
	case jobs.Identity:
		if a.inputFraming() == teraFraming {
			return teraFraming
		}
	case jobs.TeraGen:
		return teraFraming
	}
	f, err := lineKeyFraming(a.plan.Job.Keys)
	if err != nil { // checked by planning and by checkKeys
		return lineFraming
	}
	return f
}

// emitRecords passes the input's records to an emitter unchanged.
func (a *attempt) emitRecords(in io.Reader, e emitter) error {
	r := newRecordReader("input", in, a.inputFraming(), ioBufSize)
	for {
		if err := r.advance(); err != nil {
			return err
		}
		if r.rec == nil {
			return nil
		}
		a.manifest.Counters.RecordsIn++
		if err := e.emit(r.rec); err != nil {
			return err
		}
	}
}

// partitioner returns the function that assigns a key to a reduce task.
func (a *attempt) partitioner() func([]byte) int {
	reduces := a.plan.Reduces()
	if reduces <= 1 {
		return func([]byte) int { return 0 }
	}
	if k := a.plan.Job.Keys; k.Partition != "" {
		opts, _ := jobs.ParseKeyFieldOptions("keys: partition", k.Partition) // checked by checkKeys
		sep := k.FieldSep()
		return func(key []byte) int { return int(opts.Hash(key, sep) % uint32(reduces)) }
	}
	if a.plan.Job.Partitioner.Kind == jobs.TotalOrder {
		return tera.NewPartitioner(a.plan.Job.Partitioner.Cuts).Partition
	}
	return func(key []byte) int { return int(fnv1a(key) % uint32(reduces)) }
}

// fnv1a is the 32-bit FNV-1a hash, a stable spread of keys over reduces.
func fnv1a(key []byte) uint32 {
	h := uint32(2166136261)
	for _, b := range key {
		h = (h ^ uint32(b)) * 16777619
	}
	return h
}

// ordered reports whether partition numbers grow with keys, so that
// records sorted by key are sorted by partition too.
func (a *attempt) ordered() bool {
	return a.plan.Reduces() <= 1 || a.plan.Job.Partitioner.Kind == jobs.TotalOrder
}
