package jobs

import (
	"fmt"
	"strconv"
)

// Keys say how a streaming job's map output lines split into key and
// value, how keys are partitioned and sorted, and how reduce output lines
// split into the key and value of the output, with Hadoop Streaming's
// options. The zero Keys are dockmr's and Hadoop's defaults: the key is the
// text before the first tab, hashed whole to a reduce and sorted in byte
// order.
type Keys struct {
	// MapSeparator and MapKeyFields: a map output line's key is the text
	// before its MapKeyFields-th MapSeparator (stream.map.output.field.separator,
	// stream.num.map.output.key.fields). When the separator is not a tab,
	// the reducer reads key<TAB>value, as in Hadoop.
	MapSeparator string `json:"map_separator,omitempty"`
	MapKeyFields int    `json:"map_key_fields,omitempty"`
	// ReduceSeparator and ReduceKeyFields split a reducer's output lines
	// (stream.reduce.output.field.separator,
	// stream.num.reduce.output.key.fields): the output file has a tab
	// between key and value.
	ReduceSeparator string `json:"reduce_separator,omitempty"`
	ReduceKeyFields int    `json:"reduce_key_fields,omitempty"`
	// FieldSeparator splits keys into the fields that Partition and
	// Compare name (mapreduce.map.output.key.field.separator).
	FieldSeparator string `json:"field_separator,omitempty"`
	// Partition, like "-k1,2", sends keys whose selected fields are equal to
	// the same reduce (KeyFieldBasedPartitioner,
	// mapreduce.partition.keypartitioner.options).
	Partition string `json:"partition,omitempty"`
	// Compare, like "-k2,2nr -k1,1", orders keys (KeyFieldBasedComparator,
	// mapreduce.partition.keycomparator.options).
	Compare string `json:"compare,omitempty"`
}

// Hadoop's property names of the Keys fields and of the classes that
// select them.
const (
	PropMapSeparator    = "stream.map.output.field.separator"
	PropMapKeyFields    = "stream.num.map.output.key.fields"
	PropReduceSeparator = "stream.reduce.output.field.separator"
	PropReduceKeyFields = "stream.num.reduce.output.key.fields"
	PropFieldSeparator  = "mapreduce.map.output.key.field.separator"
	PropPartition       = "mapreduce.partition.keypartitioner.options"
	PropCompare         = "mapreduce.partition.keycomparator.options"
	PropPartitionerCls  = "mapreduce.job.partitioner.class"
	PropComparatorCls   = "mapreduce.job.output.key.comparator.class"
)

// Class names dockmr takes for PropPartitionerCls and PropComparatorCls.
var (
	partitionerClasses = []string{
		"org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner",
		"org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedPartitioner",
		"org.apache.hadoop.mapred.lib.HashPartitioner",
		"org.apache.hadoop.mapreduce.lib.partition.HashPartitioner",
	}
	comparatorClasses = []string{
		"org.apache.hadoop.mapred.lib.KeyFieldBasedComparator",
		"org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
	}
)

// setKeyProperty sets one of the Keys' properties; it reports false for a
// property that is not one.
func (k *Keys) setKeyProperty(key, value string) (bool, error) {
	var err error
	switch key {
	case PropMapSeparator:
		k.MapSeparator = value
	case PropMapKeyFields:
		k.MapKeyFields, err = keyFieldCount(value)
	case PropReduceSeparator:
		k.ReduceSeparator = value
	case PropReduceKeyFields:
		k.ReduceKeyFields, err = keyFieldCount(value)
	case PropFieldSeparator:
		k.FieldSeparator = value
	case PropPartition:
		k.Partition = value
		_, err = ParseKeyFieldOptions("options", value)
	case PropCompare:
		k.Compare = value
		_, err = ParseKeyFieldOptions("options", value)
	case PropPartitionerCls:
		err = oneOf(value, partitionerClasses, "the key-field options select the partitioner")
	case PropComparatorCls:
		err = oneOf(value, comparatorClasses, "the key-field options select the comparator")
	default:
		return false, nil
	}
	return true, err
}

func keyFieldCount(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("want a whole number of fields from 1")
	}
	return n, nil
}

func oneOf(v string, accepted []string, note string) error {
	for _, a := range accepted {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("class not supported: use one of %q (%s)", accepted, note)
}

// validate checks the options, naming the one at fault.
func (k Keys) validate(p Partitioner) error {
	for name, sep := range map[string]string{"map_separator": k.MapSeparator, "reduce_separator": k.ReduceSeparator, "field_separator": k.FieldSeparator} {
		if sep == "\n" {
			return fmt.Errorf("keys: %s %q: a separator cannot be a newline, which ends lines", name, sep)
		}
	}
	for name, n := range map[string]int{"map_key_fields": k.MapKeyFields, "reduce_key_fields": k.ReduceKeyFields} {
		if n < 0 {
			return fmt.Errorf("keys: %s %d: want a whole number of fields from 1, or 0 for 1", name, n)
		}
	}
	if _, err := ParseKeyFieldOptions("keys: partition", k.Partition); err != nil {
		return err
	}
	if _, err := ParseKeyFieldOptions("keys: compare", k.Compare); err != nil {
		return err
	}
	if k.Partition != "" && p.Kind == TotalOrder {
		return fmt.Errorf("keys: partition %q: key-field partitioning is a hash partitioner; the job's partitioner is %q", k.Partition, p.Kind)
	}
	if k.Compare != "" && p.Kind == TotalOrder {
		return fmt.Errorf("keys: compare %q: a %q partitioner needs byte order", k.Compare, p.Kind)
	}
	return nil
}

// Default reports whether the options are all defaults.
func (k Keys) Default() bool {
	return k == Keys{} || k == Keys{MapSeparator: "\t", MapKeyFields: 1, ReduceSeparator: "\t", ReduceKeyFields: 1, FieldSeparator: "\t"}
}

// MapSep returns the map output separator, a tab by default.
func (k Keys) MapSep() []byte { return sepOr(k.MapSeparator) }

// ReduceSep returns the reduce output separator, a tab by default.
func (k Keys) ReduceSep() []byte { return sepOr(k.ReduceSeparator) }

// FieldSep returns the key field separator, a tab by default.
func (k Keys) FieldSep() []byte { return sepOr(k.FieldSeparator) }

func sepOr(s string) []byte {
	if s == "" {
		return []byte{'\t'}
	}
	return []byte(s)
}
