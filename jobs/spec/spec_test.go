package spec

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
)

func TestLoadWordCountExample(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "wordcount", "wordcount.hcl")
	job, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	if job.Name != "wordcount" || job.Image != "dockmr/examples:dev" {
		t.Errorf("name %q, image %q", job.Name, job.Image)
	}
	if want := []string{filepath.Join(dir, "input")}; !slices.Equal(job.Input.Paths, want) || job.Input.Records != jobs.Lines {
		t.Errorf("input = %+v, want lines from %q", job.Input, want)
	}
	if job.Output != filepath.Join(dir, "out") {
		t.Errorf("output = %q, want it relative to the spec", job.Output)
	}
	if job.Map.Func != jobs.Stream || job.Map.Tasks != 2 || job.Map.Command[0] != "/bin/sh" {
		t.Errorf("map = %+v, want a shell command in 2 tasks", job.Map)
	}
	if job.Reduce == nil || job.Reduce.Func != jobs.Stream || job.Reduce.Tasks != 2 || job.Reduce.Command[0] != "awk" {
		t.Fatalf("reduce = %+v, want awk in 2 tasks", job.Reduce)
	}
	if job.Reduce.Env["LC_ALL"] != "C" {
		t.Errorf("reduce env = %v", job.Reduce.Env)
	}
	if err := job.Validate(); err != nil {
		t.Errorf("the example is not a valid job: %v", err)
	}
}

func TestParseDefaultsAndSettings(t *testing.T) {
	job, err := Parse([]byte(`
job "copy" {
  input   = "/data/in"
  output  = "/data/out"
  records = "tera"
  map {}
  settings {
    sort_mb      = 64
    merge_factor = 8
    max_attempts = 3
    overwrite    = true
    cache_output = true
    output_codec = "zstd"
    shuffle      = "node"
  }
}`), "copy.hcl", "/specs")
	if err != nil {
		t.Fatal(err)
	}
	if job.Map.Func != jobs.Identity || job.Map.Tasks != 0 || job.Reduce != nil {
		t.Errorf("map = %+v, reduce = %+v; want an identity map-only job", job.Map, job.Reduce)
	}
	if !slices.Equal(job.Input.Paths, []string{"/data/in"}) || job.Input.Records != jobs.TeraRecords {
		t.Errorf("input = %+v", job.Input)
	}
	want := jobs.Settings{SortMB: 64, MergeFactor: 8, MaxAttempts: 3, Overwrite: true, CacheOutput: true, OutputCodec: jobs.Zstd, Shuffle: jobs.NodeShuffle}
	if job.Settings != want {
		t.Errorf("settings = %+v, want %+v", job.Settings, want)
	}
}

func TestParseErrorsGivePositions(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // in the error message
	}{
		{"syntax", "job \"x\" {\n  input = [\n}", []string{"bad.hcl:3:1:"}},
		{"no job", "# nothing\n", []string{"bad.hcl:", "Missing job block"}},
		{"two jobs", "job \"a\" {\n input = \"i\"\n output = \"o\"\n map {}\n}\njob \"b\" {\n input = \"i\"\n output = \"o\"\n map {}\n}\n",
			[]string{"bad.hcl:6:1:", "Duplicate job block", "line 1"}},
		{"unknown attribute", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  mapper = \"cat\"\n  map {}\n}",
			[]string{"bad.hcl:4:3:", "Unsupported argument", `"mapper"`}},
		{"missing output", "job \"x\" {\n  input = \"i\"\n  map {}\n}", []string{"bad.hcl:1:", "Missing required argument", `"output"`}},
		{"missing map", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n}", []string{"bad.hcl:1:1:", "Missing map block"}},
		{"zero tasks", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {\n    tasks = 0\n  }\n}",
			[]string{"bad.hcl:5:13:", "tasks 0 is too small; want at least 1"}},
		{"fractional tasks", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {\n    tasks = 1.5\n  }\n}",
			[]string{"bad.hcl:5:13:"}},
		{"command type", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {\n    command = 7\n  }\n}",
			[]string{"bad.hcl:5:15:", "command must be a string or a list of strings, not number"}},
		{"command list type", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {\n    command = [\"a\", {}]\n  }\n}",
			[]string{"bad.hcl:5:15:"}},
		{"empty command", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {\n    command = []\n  }\n}",
			[]string{"bad.hcl:5:15:", "empty list"}},
		{"records", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  records = \"csv\"\n  map {}\n}",
			[]string{"bad.hcl:4:13:", `records "csv": use "lines" or "tera"`}},
		{"two reduces", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {}\n  reduce {}\n  reduce {}\n}",
			[]string{"bad.hcl:6:3:", "Duplicate reduce block", "line 5"}},
		{"variable", "job \"x\" {\n  input = \"i\"\n  output = out_dir\n  map {}\n}", []string{"bad.hcl:3:12:", "Variables not allowed"}},
		{"output_codec", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {}\n  settings {\n    output_codec = \"lzo\"\n  }\n}",
			[]string{"bad.hcl:6:20:", `output codec "lzo" is not supported: use "gzip", "zstd" or "none"`}},
		{"properties", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {}\n  properties = { \"mapreduce.x\" = \"1\" }\n}",
			[]string{"bad.hcl:5:16:", `property mapreduce.x="1": unknown property`}},
		{"sort_mb", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {}\n  settings {\n    sort_mb = 5000\n  }\n}",
			[]string{"bad.hcl:6:15:", "at most 4095"}},
		{"shuffle", "job \"x\" {\n  input = \"i\"\n  output = \"o\"\n  map {}\n  settings {\n    shuffle = \"nfs\"\n  }\n}",
			[]string{"bad.hcl:6:15:", `shuffle "nfs": want "shared" or "node"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), "bad.hcl", "/specs")
			var specErr *Error
			if !errors.As(err, &specErr) {
				t.Fatalf("error %v is not a spec error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.hcl"))
	if err == nil || !strings.Contains(err.Error(), "none.hcl") {
		t.Errorf("error %v does not name the missing file", err)
	}
}
