package spec

import (
	"fmt"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/storage"
)

var (
	fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "job", LabelNames: []string{"name"}}}}
	jobSchema  = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "image"}, {Name: "input", Required: true}, {Name: "output", Required: true}, {Name: "records"},
			{Name: "properties"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "map"}, {Type: "combiner"}, {Type: "reduce"}, {Type: "settings"}, {Type: "keys"}},
	}
	phaseSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "command"}, {Name: "tasks"}, {Name: "image"}, {Name: "env"}},
	}
	keysSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "map_separator"}, {Name: "map_key_fields"}, {Name: "reduce_separator"}, {Name: "reduce_key_fields"},
			{Name: "field_separator"}, {Name: "partition"}, {Name: "compare"},
		},
	}
	settingsSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "sort_mb"}, {Name: "merge_factor"}, {Name: "max_attempts"}, {Name: "overwrite"}, {Name: "cache_output"}, {Name: "shuffle"}, {Name: "slowstart"},
			{Name: "output_codec"},
		},
	}
)

// decoder collects the diagnostics of decoding one spec.
type decoder struct {
	dir   string
	diags hcl.Diagnostics
}

// errorf adds an error at a range.
func (d *decoder) errorf(rng hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr(),
	})
}

func (d *decoder) file(f *hcl.File) jobs.Job {
	content, diags := f.Body.Content(fileSchema)
	d.diags = append(d.diags, diags...)
	blocks := content.Blocks.OfType("job")
	switch {
	case diags.HasErrors():
		return jobs.Job{}
	case len(blocks) == 0:
		d.errorf(f.Body.MissingItemRange(), "Missing job block", `a job spec holds one job "NAME" { ... } block`)
		return jobs.Job{}
	case len(blocks) > 1:
		d.errorf(blocks[1].DefRange, "Duplicate job block", "a job spec holds one job; the first is at line %d", blocks[0].DefRange.Start.Line)
		return jobs.Job{}
	}
	return d.job(blocks[0])
}

func (d *decoder) job(b *hcl.Block) jobs.Job {
	job := jobs.Job{Name: b.Labels[0], Partitioner: jobs.Partitioner{Kind: jobs.HashPartition}}
	if job.Name == "" {
		d.errorf(b.LabelRanges[0], "Empty job name", "give the job a name, like job \"wordcount\"")
	}
	content, diags := b.Body.Content(jobSchema)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return job
	}
	attrs := content.Attributes
	d.str(attrs["image"], &job.Image)
	job.Input = jobs.Input{Paths: d.paths(attrs["input"]), Records: jobs.Lines}
	var out string
	if d.str(attrs["output"], &out) {
		if out == "" {
			d.errorf(attrs["output"].Expr.Range(), "Empty output", "name the directory the job writes")
		}
		job.Output = d.path(out)
	}
	if a := attrs["records"]; a != nil {
		var records string
		if d.str(a, &records) {
			job.Input.Records = jobs.Records(records)
			if job.Input.Records != jobs.Lines && job.Input.Records != jobs.TeraRecords {
				d.errorf(a.Expr.Range(), "Unsupported records", "records %q: use %q or %q", records, jobs.Lines, jobs.TeraRecords)
			}
		}
	}
	maps := d.single(b, content.Blocks, "map", true)
	if maps != nil {
		job.Map = d.phase(maps, 0)
	}
	if c := d.single(b, content.Blocks, "combiner", false); c != nil {
		p := d.phase(c, 0)
		if p.Func != jobs.Stream {
			d.errorf(c.DefRange, "Missing combiner command", "a combiner block needs a command, like command = \"uniq -c\"")
		}
		job.Combiner = &p
	}
	if reduce := d.single(b, content.Blocks, "reduce", false); reduce != nil {
		p := d.phase(reduce, 1)
		job.Reduce = &p
	}
	if s := d.single(b, content.Blocks, "settings", false); s != nil {
		job.Settings = d.settings(s)
	}
	if k := d.single(b, content.Blocks, "keys", false); k != nil {
		job.Keys = d.keys(k)
	}
	if a := attrs["properties"]; a != nil {
		var props map[string]string
		diags := gohcl.DecodeExpression(a.Expr, nil, &props)
		d.diags = append(d.diags, diags...)
		if err := jobs.ApplyProperties(&job, props); !diags.HasErrors() && err != nil {
			d.errorf(a.Expr.Range(), "Invalid properties", "%s", err)
		}
	}
	return job
}

// single returns the only block of a type, reporting duplicates, and a
// missing one if required.
func (d *decoder) single(parent *hcl.Block, blocks hcl.Blocks, typ string, required bool) *hcl.Block {
	of := blocks.OfType(typ)
	switch {
	case len(of) > 1:
		d.errorf(of[1].DefRange, "Duplicate "+typ+" block", "a job has one %s block; the first is at line %d", typ, of[0].DefRange.Start.Line)
	case len(of) == 0 && required:
		d.errorf(parent.DefRange, "Missing "+typ+" block", "job %q needs a %s { ... } block", parent.Labels[0], typ)
	case len(of) == 1:
		return of[0]
	}
	return nil
}

// phase decodes a map or reduce block; defaultTasks applies when it sets
// no tasks.
func (d *decoder) phase(b *hcl.Block, defaultTasks int) jobs.Phase {
	p := jobs.Phase{Func: jobs.Identity, Tasks: defaultTasks}
	content, diags := b.Body.Content(phaseSchema)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return p
	}
	attrs := content.Attributes
	if a := attrs["command"]; a != nil {
		p.Func, p.Command = jobs.Stream, d.command(a)
	}
	if a := attrs["tasks"]; a != nil {
		d.intAtLeast(a, &p.Tasks, 1)
	}
	d.str(attrs["image"], &p.Image)
	if a := attrs["env"]; a != nil {
		d.diags = append(d.diags, gohcl.DecodeExpression(a.Expr, nil, &p.Env)...)
	}
	return p
}

func (d *decoder) settings(b *hcl.Block) jobs.Settings {
	var s jobs.Settings
	content, diags := b.Body.Content(settingsSchema)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return s
	}
	attrs := content.Attributes
	if a := attrs["sort_mb"]; a != nil && d.intAtLeast(a, &s.SortMB, 1) && s.SortMB > 4095 {
		d.errorf(a.Expr.Range(), "Invalid sort_mb", "sort_mb %d is too large; want at most 4095 (MiB)", s.SortMB)
	}
	if a := attrs["merge_factor"]; a != nil {
		d.intAtLeast(a, &s.MergeFactor, 2)
	}
	if a := attrs["max_attempts"]; a != nil {
		d.intAtLeast(a, &s.MaxAttempts, 1)
	}
	var codec string
	if a := attrs["output_codec"]; a != nil && d.str(a, &codec) {
		var err error
		if s.OutputCodec, err = jobs.ParseOutputCodec(codec); err != nil {
			d.errorf(a.Expr.Range(), "Invalid output_codec", "%s", err)
		}
	}
	if a := attrs["shuffle"]; a != nil {
		var mode string
		if d.str(a, &mode) {
			if m, err := jobs.ParseShuffleMode(mode); err != nil {
				d.errorf(a.Expr.Range(), "Invalid shuffle", "%v", err)
			} else {
				s.Shuffle = m
			}
		}
	}
	if a := attrs["slowstart"]; a != nil {
		d.diags = append(d.diags, gohcl.DecodeExpression(a.Expr, nil, &s.SlowStart)...)
		if s.SlowStart < 0 || s.SlowStart > 1 {
			d.errorf(a.Expr.Range(), "Invalid slowstart", "slowstart %g is out of range; want a fraction of the maps from 0 to 1", s.SlowStart)
		}
	}
	for name, dst := range map[string]*bool{"overwrite": &s.Overwrite, "cache_output": &s.CacheOutput} {
		if a := attrs[name]; a != nil {
			d.diags = append(d.diags, gohcl.DecodeExpression(a.Expr, nil, dst)...)
		}
	}
	return s
}

// str decodes an optional string attribute, reporting whether it was set.
func (d *decoder) str(a *hcl.Attribute, dst *string) bool {
	if a == nil {
		return false
	}
	diags := gohcl.DecodeExpression(a.Expr, nil, dst)
	d.diags = append(d.diags, diags...)
	return !diags.HasErrors()
}

// intAtLeast decodes a whole number no less than least.
func (d *decoder) intAtLeast(a *hcl.Attribute, dst *int, least int) bool {
	diags := gohcl.DecodeExpression(a.Expr, nil, dst)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return false
	}
	if *dst < least {
		d.errorf(a.Expr.Range(), "Invalid "+a.Name, "%s %d is too small; want at least %d", a.Name, *dst, least)
		return false
	}
	return true
}

// strings decodes a string or a list of strings.
func (d *decoder) strings(a *hcl.Attribute) []string {
	v, diags := a.Expr.Value(nil)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	switch ty := v.Type(); {
	case ty == cty.String:
		var s string
		d.str(a, &s)
		return []string{s}
	case !ty.IsTupleType() && !ty.IsListType():
		d.errorf(a.Expr.Range(), "Invalid "+a.Name, "%s must be a string or a list of strings, not %s", a.Name, ty.FriendlyName())
		return nil
	}
	var list []string
	diags = gohcl.DecodeExpression(a.Expr, nil, &list)
	d.diags = append(d.diags, diags...)
	if !diags.HasErrors() && len(list) == 0 {
		d.errorf(a.Expr.Range(), "Empty "+a.Name, "%s is an empty list; give at least one value", a.Name)
	}
	return list
}

// command decodes a command: a list of arguments, or a string for sh -c.
func (d *decoder) command(a *hcl.Attribute) []string {
	v, diags := a.Expr.Value(nil)
	list := d.strings(a)
	if diags.HasErrors() || len(list) == 0 {
		return nil
	}
	if v.Type() == cty.String {
		list = []string{"/bin/sh", "-c", list[0]}
	}
	if list[0] == "" {
		d.errorf(a.Expr.Range(), "Empty command", "the command's program is empty")
	}
	return list
}

// paths decodes input paths.
func (d *decoder) paths(a *hcl.Attribute) []string {
	list := d.strings(a)
	for i, p := range list {
		if p == "" {
			d.errorf(a.Expr.Range(), "Empty input path", "input path %d is empty", i+1)
		}
		list[i] = d.path(p)
	}
	return list
}

// path makes a path relative to the spec's directory.
func (d *decoder) path(p string) string {
	if p == "" || filepath.IsAbs(p) || storage.IsURL(p) {
		return p
	}
	return filepath.Join(d.dir, p)
}

// keys decodes a keys block: Hadoop Streaming's key options.
func (d *decoder) keys(b *hcl.Block) jobs.Keys {
	var k jobs.Keys
	content, diags := b.Body.Content(keysSchema)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return k
	}
	attrs := content.Attributes
	for name, dst := range map[string]*string{
		"map_separator": &k.MapSeparator, "reduce_separator": &k.ReduceSeparator, "field_separator": &k.FieldSeparator,
	} {
		if a := attrs[name]; a != nil && d.str(a, dst) && *dst == "" {
			d.errorf(a.Expr.Range(), "Empty "+name, "%s is empty; give a separator such as \".\", or leave it out for a tab", name)
		}
	}
	for name, dst := range map[string]*int{"map_key_fields": &k.MapKeyFields, "reduce_key_fields": &k.ReduceKeyFields} {
		if a := attrs[name]; a != nil {
			d.intAtLeast(a, dst, 1)
		}
	}
	for name, dst := range map[string]*string{"partition": &k.Partition, "compare": &k.Compare} {
		if a := attrs[name]; a != nil && d.str(a, dst) {
			if _, err := jobs.ParseKeyFieldOptions(name, *dst); err != nil {
				d.errorf(a.Expr.Range(), "Invalid "+name, "%s", err)
			}
		}
	}
	return k
}
