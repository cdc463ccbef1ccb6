package task

import (
	"bytes"

	"github.com/dockmr/dockmr/jobs"
)

// keyFraming is how a streaming job's map output lines split into keys,
// and how keys sort, when the job sets Hadoop Streaming's key options.
type keyFraming struct {
	sep      []byte // stream.map.output.field.separator
	fields   int    // stream.num.map.output.key.fields
	fieldSep []byte // mapreduce.map.output.key.field.separator
	compare  *jobs.KeyFieldOptions
}

// lineKeyFraming returns the framing of map output lines under the job's
// key options: lineFraming for the defaults.
func lineKeyFraming(k jobs.Keys) (framing, error) {
	if k.Default() {
		return lineFraming, nil
	}
	kf := &keyFraming{sep: k.MapSep(), fields: max(1, k.MapKeyFields), fieldSep: k.FieldSep()}
	if k.Compare != "" {
		opts, err := jobs.ParseKeyFieldOptions("keys: compare", k.Compare)
		if err != nil {
			return framing{}, err
		}
		kf.compare = &opts
	}
	return framing{keys: kf}, nil
}

// lineKey returns a line's key under the key options.
func (k *keyFraming) lineKey(rec []byte) []byte {
	rec = bytes.TrimSuffix(rec, []byte{'\n'})
	return rec[:jobs.SplitKey(rec, k.sep, k.fields)]
}

// prefix returns a key's sort prefix: zero for all keys under a
// comparator, which then decides alone.
func (f framing) prefix(key []byte) uint64 {
	if f.keys != nil && f.keys.compare != nil {
		return 0
	}
	return keyPrefix(key)
}

// compareKeys orders two keys given with their prefixes.
func (f framing) compareKeys(pa uint64, a []byte, pb uint64, b []byte) int {
	if f.keys != nil && f.keys.compare != nil {
		return f.keys.compare.Compare(a, b, f.keys.fieldSep)
	}
	return compareKeys(pa, a, pb, b)
}

// reduceInput returns a map output line as a reducer reads it: with a tab
// between key and value where the map output separator is not a tab, as
// Hadoop Streaming writes a reducer's input. *buf is reused.
func (f framing) reduceInput(rec []byte, buf *[]byte) []byte {
	k := f.keys
	if k == nil || bytes.Equal(k.sep, []byte{'\t'}) {
		return rec
	}
	key := k.lineKey(rec)
	rest := rec[len(key):]
	if len(rest) == 0 || rest[0] == '\n' {
		return rec
	}
	*buf = append((*buf)[:0], key...)
	*buf = append(*buf, '\t')
	*buf = append(*buf, rest[len(k.sep):]...)
	return *buf
}

// outputFields is an emitter of reducer output lines that puts a tab
// between key and value where the reduce output separator is not a tab,
// as Hadoop's text output does with the key and value that
// stream.reduce.output.field.separator and
// stream.num.reduce.output.key.fields split.
type outputFields struct {
	e      emitter
	sep    []byte
	fields int
	buf    []byte
}

// newOutputFields returns e itself for tab-separated output.
func newOutputFields(e emitter, k jobs.Keys) emitter {
	sep := k.ReduceSep()
	if bytes.Equal(sep, []byte{'\t'}) {
		return e
	}
	return &outputFields{e: e, sep: sep, fields: max(1, k.ReduceKeyFields)}
}

func (o *outputFields) emit(rec []byte) error {
	line := bytes.TrimSuffix(rec, []byte{'\n'})
	n := jobs.SplitKey(line, o.sep, o.fields)
	if n == len(line) {
		return o.e.emit(rec)
	}
	o.buf = append(append(append(o.buf[:0], line[:n]...), '\t'), rec[n+len(o.sep):]...)
	return o.e.emit(o.buf)
}

// checkKeys checks the job's key options, which planning checked too.
func (a *attempt) checkKeys() error {
	k := a.plan.Job.Keys
	if _, err := lineKeyFraming(k); err != nil {
		return err
	}
	_, err := jobs.ParseKeyFieldOptions("keys: partition", k.Partition)
	return err
}
