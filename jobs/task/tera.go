package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/tera"
)

// teraGen writes the records of the split's rows: TeraGen's map.
func (a *attempt) teraGen(split jobs.Split) error {
	format, err := tera.ParseFormat(a.plan.Job.Map.Format)
	if err != nil {
		return err
	}
	w, err := a.createPart(teraFraming)
	if err != nil {
		return err
	}
	if err := tera.GenerateTo(w, format, split.FirstRow, split.FirstRow+split.Rows, nil); err != nil {
		w.abandon()
		return err
	}
	a.manifest.Counters.RecordsIn = split.Rows
	return a.writePart(w)
}

// splitReport is what a teravalidate map tells the reduce about its split.
type splitReport struct {
	Path    string        `json:"path"`
	Offset  int64         `json:"offset"`
	Records uint64        `json:"records"`
	Sum     jobs.Checksum `json:"sum"`
	First   []byte        `json:"first,omitempty"`
	Last    []byte        `json:"last,omitempty"`
	Errors  []string      `json:"errors,omitempty"`
}

// validateSplit checks the order of the split's records and emits one
// record, keyed by the task index so that the reduce sees splits in input
// order: TeraValidate's map.
func (a *attempt) validateSplit(in io.Reader, split jobs.Split, e emitter) error {
	name := split.Path
	if split.Offset > 0 {
		name = fmt.Sprintf("%s from record %d", split.Path, split.Offset/tera.RecordSize)
	}
	rep, err := tera.ValidateFile(in, name)
	if err != nil {
		return err
	}
	a.manifest.Counters.RecordsIn = rep.Records
	b, err := json.Marshal(splitReport{
		Path: split.Path, Offset: split.Offset, Records: rep.Records, Sum: jobs.Checksum{Checksum: rep.Sum},
		First: rep.FirstKey, Last: rep.LastKey, Errors: rep.Errors,
	})
	if err != nil {
		return fmt.Errorf("encode split report: %w", err)
	}
	return e.emit(fmt.Appendf(nil, "%010d\t%s\n", a.index, b))
}

// validateReduce joins the splits' reports into file reports, checks the
// order across splits of a file, and writes TeraValidate's report, which
// checks the order across files: TeraValidate's reduce.
func (a *attempt) validateReduce(m *merger, w io.Writer) error {
	var files []tera.FileReport
	for {
		rec, err := m.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		a.manifest.Counters.RecordsIn++
		var sr splitReport
		if err := json.Unmarshal(lineFraming.value(rec), &sr); err != nil {
			return fmt.Errorf("read split report: %w", err)
		}
		if len(files) == 0 || files[len(files)-1].Name != sr.Path {
			files = append(files, tera.FileReport{Name: sr.Path})
		}
		addSplit(&files[len(files)-1], sr)
	}
	_, err := tera.Combine(files).WriteTo(w)
	return err
}

// addSplit adds the report of a file's next split to the file's report.
func addSplit(f *tera.FileReport, sr splitReport) {
	if sr.Records > 0 {
		if f.Records > 0 && tera.CompareKeys(sr.First, f.LastKey) < 0 {
			f.Errors = append(f.Errors, fmt.Sprintf(
				"misorder in %s: record %d has key %x, less than the previous key %x",
				f.Name, sr.Offset/tera.RecordSize, sr.First, f.LastKey))
		}
		if f.Records == 0 {
			f.FirstKey = sr.First
		}
		f.LastKey = sr.Last
	}
	f.Records += sr.Records
	f.Sum.Add(sr.Sum.Checksum)
	f.Errors = append(f.Errors, sr.Errors...)
}
