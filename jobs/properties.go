package jobs

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Hadoop's property names for what compresses a job's output.
const (
	PropCompress      = "mapreduce.output.fileoutputformat.compress"
	PropCompressCodec = "mapreduce.output.fileoutputformat.compress.codec"
)

// ApplyProperties sets a job's options from Hadoop-style properties, as
// `-D key=value` gives them, in the order given. A property it does not
// know, or a value it cannot use, is an error naming both and what is
// accepted. As in Hadoop, the codec property compresses only together with
// the compress property, whose codec defaults to gzip.
func ApplyProperties(job *Job, props map[string]string) error {
	compress, codec := false, Gzip
	for _, key := range slices.Sorted(maps.Keys(props)) {
		value := props[key]
		var err error
		switch key {
		case PropCompress:
			compress, err = parseBool(value)
		case PropCompressCodec:
			codec, err = ParseOutputCodec(value)
		default:
			var ok bool
			if ok, err = job.Keys.setKeyProperty(key, value); !ok {
				err = fmt.Errorf("unknown property; dockmr knows %s", strings.Join(knownProperties(), ", "))
			}
		}
		if err != nil {
			return fmt.Errorf("property %s=%q: %w", key, value, err)
		}
	}
	if _, ok := props[PropCompress]; ok {
		job.Settings.OutputCodec = NoCodec
		if compress {
			job.Settings.OutputCodec = codec
		}
	}
	return nil
}

// ParseProperty splits a "key=value" property.
func ParseProperty(kv string) (string, string, error) {
	key, value, ok := strings.Cut(kv, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return "", "", fmt.Errorf("property %q: want key=value, like %s=true", kv, PropCompress)
	}
	return key, value, nil
}

// knownProperties lists the property names ApplyProperties takes.
func knownProperties() []string {
	return []string{PropCompress, PropCompressCodec, PropMapSeparator, PropMapKeyFields, PropReduceSeparator,
		PropReduceKeyFields, PropFieldSeparator, PropPartition, PropCompare, PropPartitionerCls, PropComparatorCls}
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("want true or false")
}
