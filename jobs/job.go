// Package jobs holds dockmr's MapReduce job model: what a job is, how it is
// planned into tasks, where every task attempt writes, how a job commits or
// aborts, and the Runner interface that executes the tasks of a plan, either
// as local processes or as Nomad allocations.
//
// A job runs in three steps. NewPlan checks the job, resolves its input into
// splits, one per map task, and names a staging directory under the output
// directory (OUTDIR/_temporary/<job id>), as Hadoop's output committer does.
// Run writes the plan there as plan.json, has a Runner execute every map
// task and then every reduce task, each task being one run of the dockmr-task
// program against the plan file, and finally commits the job: it moves the
// committed tasks' part files into the output directory and writes _SUCCESS.
// A job that fails leaves no output behind.
package jobs

import "fmt"

// Func names the function that the tasks of a phase run.
type Func string

const (
	// Identity passes records through unchanged. With a total-order
	// partitioner, identity map and reduce make TeraSort: the shuffle sorts.
	Identity Func = "identity"
	// Stream runs the phase's command, which reads records on stdin and
	// writes key<TAB>value lines on stdout (Hadoop Streaming's contract).
	Stream Func = "stream"
	// TeraGen writes the records of its split's rows, in the phase's Format.
	TeraGen Func = "teragen"
	// TeraValidate checks record order: the map checks its split, the single
	// reduce checks across splits and files and writes the report.
	TeraValidate Func = "teravalidate"
)

// Records names how records are framed in a job's input files.
type Records string

const (
	// TeraRecords are fixed 100-byte records whose first 10 bytes are the
	// key: both formats of TeraGen.
	TeraRecords Records = "tera"
	// Lines are newline-terminated lines; as map output, the key is the text
	// before the first tab (the whole line if there is none).
	Lines Records = "lines"
)

// Job is a MapReduce job as its author describes it.
type Job struct {
	// Name is a label for people: logs, job history, Nomad job names.
	Name string `json:"name"`
	// Image is the container image the tasks run in, unless a phase
	// overrides it. The local runner ignores it.
	Image string `json:"image,omitempty"`
	// Input is what the map tasks read.
	Input Input `json:"input"`
	// Output is the directory the job creates and commits its part files
	// to. For an S3 output it is the job's local output directory, which
	// holds its staging directory and history until they are published.
	Output string `json:"output"`
	// OutputURL, when set, is the s3://bucket/prefix the job commits to;
	// planning sets it from an s3:// Output (see s3output.go).
	OutputURL string `json:"output_url,omitempty"`
	// Map is the map phase; its task count is a hint that planning turns
	// into the number of splits.
	Map Phase `json:"map"`
	// Reduce is the reduce phase; nil makes a map-only job whose maps write
	// part-m files.
	Reduce *Phase `json:"reduce,omitempty"`
	// Combiner, if set, is a Stream phase run by each map over each
	// partition of its sorted output before the reduces read it (and over
	// the merge of three spills or more), with Hadoop's contract: it reads
	// key<TAB>value lines sorted by key and prints key<TAB>value lines for
	// the same keys in the same order, such as partial sums. Its Tasks is
	// unused. It needs a reduce phase.
	Combiner *Phase `json:"combiner,omitempty"`
	// Partitioner assigns map output keys to reduce tasks.
	Partitioner Partitioner `json:"partitioner"`
	// Keys are Hadoop Streaming's options of how lines split into keys and
	// values and how keys are partitioned and sorted.
	Keys Keys `json:"keys,omitzero"`
	// Settings tune how the job runs rather than what it computes.
	Settings Settings `json:"settings"`
}

// Input is a job's input: files, or a range of rows for generators.
type Input struct {
	// Paths are files, or directories whose files (not starting with '_' or
	// '.') are read in name order.
	Paths []string `json:"paths,omitempty"`
	// Records is how the files are framed; splits never cut a record.
	Records Records `json:"records,omitempty"`
	// Rows, when Paths is empty, is a synthetic input of the row numbers
	// [0, Rows), split into ranges as Hadoop TeraGen's RangeInputFormat does.
	Rows uint64 `json:"rows,omitempty"`
}

// Phase is the map or the reduce phase of a job.
type Phase struct {
	// Func is what each task runs.
	Func Func `json:"func"`
	// Tasks is how many tasks the phase has.
	Tasks int `json:"tasks"`
	// Command is the argv of a Stream phase's program.
	Command []string `json:"command,omitempty"`
	// Format is the record format a TeraGen phase writes: "binary" or "ascii".
	Format string `json:"format,omitempty"`
	// Image overrides the job's image for this phase.
	Image string `json:"image,omitempty"`
	// Env is added to the environment of a Stream phase's program.
	Env map[string]string `json:"env,omitempty"`
}

// Settings tune how a job runs; they do not change its output.
type Settings struct {
	// SortMB bounds the memory, in MiB, in which a map task sorts its
	// output; past it, the map spills sorted runs to disk and merges them.
	// Merges read their runs through mappings of the files, so their
	// memory is the page cache's.
	SortMB int `json:"sort_mb,omitempty"`
	// MergeFactor is how many sorted runs a merge reads at once; more runs
	// are merged in several passes.
	MergeFactor int `json:"merge_factor,omitempty"`
	// MaxAttempts is how many times a runner tries a task before failing
	// the job.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// CacheOutput writes the job's part files through the page cache.
	// Otherwise they are written with direct I/O where the file system
	// supports it: the job does not read its output back, and filling the
	// page cache costs more CPU than anything else a reduce does (HDFS
	// offers to drop written data from the cache for the same reason).
	CacheOutput bool `json:"cache_output,omitempty"`
	// Shuffle says where map output waits for the reduces: "shared" (the
	// default) in the shared data directory, "node" on the map's node,
	// served to the reduces by the node's shuffle server.
	Shuffle ShuffleMode `json:"shuffle,omitempty"`
	// SlowStart, with node shuffle, starts the reduces once every map has
	// been placed and this fraction of them has committed (Hadoop's
	// mapreduce.job.reduce.slowstart.completedmaps), so that reduces fetch
	// map output while the last maps run; 0 starts them after the last
	// map, as the shared shuffle does.
	SlowStart float64 `json:"slowstart,omitempty"`
	// Overwrite lets the job replace an existing output directory's
	// contents when it commits. Without it an existing output directory is
	// refused, as Hadoop does.
	Overwrite bool `json:"overwrite,omitempty"`
	// OutputCodec compresses the job's part files, whose names then end
	// with the codec's extension (part-r-00000.gz): Gzip, Zstd, or NoCodec.
	OutputCodec Codec `json:"output_codec,omitempty"`
}

// ShuffleMode is where map output waits for the reduces.
type ShuffleMode string

// The shuffle modes.
const (
	// SharedShuffle keeps map output in the job's staging directory on the
	// shared storage, where every reduce reads it.
	SharedShuffle ShuffleMode = "shared"
	// NodeShuffle keeps map output on the local disk of the map's node;
	// reduces read it in place on that node and fetch it from the node's
	// shuffle server elsewhere (Hadoop's ShuffleHandler).
	NodeShuffle ShuffleMode = "node"
)

// ParseShuffleMode parses "shared" or "node".
func ParseShuffleMode(s string) (ShuffleMode, error) {
	switch m := ShuffleMode(s); m {
	case SharedShuffle, NodeShuffle:
		return m, nil
	}
	return "", fmt.Errorf("shuffle %q: want %q or %q", s, SharedShuffle, NodeShuffle)
}

// Defaults of Settings fields left zero: a 256 MiB sort buffer, merges
// of up to 64 runs, and one attempt per task (the local runner's retries
// rarely help a deterministic failure; Nomad's restart policy retries
// containers).
const (
	DefaultSortMB      = 256
	DefaultMergeFactor = 64
	DefaultMaxAttempts = 1
)

// withDefaults returns s with zero fields set to their defaults.
func (s Settings) withDefaults() Settings {
	if s.SortMB == 0 {
		s.SortMB = DefaultSortMB
	}
	if s.MergeFactor == 0 {
		s.MergeFactor = DefaultMergeFactor
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = DefaultMaxAttempts
	}
	if s.Shuffle == "" {
		s.Shuffle = SharedShuffle
	}
	return s
}

// PartitionKind names a way of assigning keys to reduce tasks.
type PartitionKind string

const (
	// HashPartition spreads keys by a hash of their bytes (Hadoop's
	// HashPartitioner): each key's records meet in one reduce, in no
	// particular order across reduces.
	HashPartition PartitionKind = "hash"
	// TotalOrder assigns keys by sorted cut points, so that the reduces'
	// outputs in file-name order are globally sorted (TeraSort).
	TotalOrder PartitionKind = "total-order"
)

// Partitioner assigns map output keys to reduce tasks.
type Partitioner struct {
	Kind PartitionKind `json:"kind,omitempty"`
	// Cuts are a TotalOrder partitioner's sorted cut points, one fewer than
	// the reduce tasks: reduce r gets the keys in [Cuts[r-1], Cuts[r]).
	// NewPlan accepts nil cuts, so that they can be sampled from the planned
	// input; Run requires them.
	Cuts [][]byte `json:"cuts,omitempty"`
}
