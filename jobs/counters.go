package jobs

import (
	"fmt"

	"github.com/dockmr/dockmr/tera"
)

// Counters are what a task counts; a job adds up its tasks' counters.
type Counters struct {
	RecordsIn  uint64 `json:"records_in"`
	BytesIn    uint64 `json:"bytes_in"`
	RecordsOut uint64 `json:"records_out"`
	BytesOut   uint64 `json:"bytes_out"`
	// Spills counts the sorted runs a map wrote beyond its final output,
	// and the intermediate runs of multi-pass merges.
	Spills uint64 `json:"spills"`
	// ShuffleBytes counts the map output bytes a reduce read: its
	// partition of every map's output.
	ShuffleBytes uint64 `json:"shuffle_bytes"`
	// CombineInputRecords and CombineOutputRecords count the records a
	// map's combiner read and wrote, over all its runs.
	CombineInputRecords  uint64 `json:"combine_input_records,omitempty"`
	CombineOutputRecords uint64 `json:"combine_output_records,omitempty"`
	// ShuffleLocalBytes and ShuffleRemoteBytes split the shuffle bytes of
	// a job whose map output stays on the maps' nodes: read in place on
	// the reduce's own node, and fetched from other nodes.
	ShuffleLocalBytes  uint64 `json:"shuffle_local_bytes,omitempty"`
	ShuffleRemoteBytes uint64 `json:"shuffle_remote_bytes,omitempty"`
	// Checksum is the sum of the CRC-32 of every record a task wrote to
	// the job's output (map output that goes to reduces is not summed). For
	// tera records it is TeraGen's and TeraValidate's checksum.
	Checksum Checksum `json:"checksum"`
}

// Add adds another task's counters.
func (c *Counters) Add(o Counters) {
	c.RecordsIn += o.RecordsIn
	c.BytesIn += o.BytesIn
	c.RecordsOut += o.RecordsOut
	c.BytesOut += o.BytesOut
	c.Spills += o.Spills
	c.ShuffleBytes += o.ShuffleBytes
	c.CombineInputRecords += o.CombineInputRecords
	c.CombineOutputRecords += o.CombineOutputRecords
	c.ShuffleLocalBytes += o.ShuffleLocalBytes
	c.ShuffleRemoteBytes += o.ShuffleRemoteBytes
	c.Checksum.Add(o.Checksum.Checksum)
}

// Checksum is a tera.Checksum that encodes as its hex string.
type Checksum struct{ tera.Checksum }

// MarshalText encodes the sum in hex.
func (c Checksum) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText decodes a hex sum.
func (c *Checksum) UnmarshalText(b []byte) error {
	sum, err := tera.ParseChecksum(string(b))
	if err != nil {
		return fmt.Errorf("counters: %w", err)
	}
	c.Checksum = sum
	return nil
}
