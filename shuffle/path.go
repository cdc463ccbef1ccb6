package shuffle

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultPort is the shuffle server's port when a node names none:
// Hadoop's ShuffleHandler's.
const DefaultPort = 13562

// maxPartition bounds partition numbers: more reduces than that is a
// mistake, and the bound keeps numbers small.
const maxPartition = 1 << 20

// maxIDLen bounds job and attempt IDs.
const maxIDLen = 64

// Request is what a parsed request path names: a job, and for a fetch a
// map attempt and a partition.
type Request struct {
	Job       string
	Attempt   string // empty for a request about the whole job
	Partition int
}

// PartitionPath is the path that fetches partition p of a map attempt.
func PartitionPath(job, attempt string, p int) string {
	return "/v1/jobs/" + job + "/maps/" + attempt + "/partitions/" + strconv.Itoa(p)
}

// JobPath is the path of a job's data, the target of a DELETE.
func JobPath(job string) string { return "/v1/jobs/" + job }

// ParsePath parses a request path, as sent: a partition path (a fetch) or
// a job path (a DELETE). It accepts only the exact forms PartitionPath and
// JobPath make: no escapes, no empty, dot or dot-dot elements, IDs of 1 to
// 64 letters, digits, '-' or '_', partitions as plain decimal numbers.
func ParsePath(path string) (Request, error) {
	rest, ok := strings.CutPrefix(path, "/v1/jobs/")
	if !ok {
		return Request{}, fmt.Errorf("path %q: want /v1/jobs/<job>[/maps/<attempt>/partitions/<n>]", path)
	}
	parts := strings.Split(rest, "/")
	if err := CheckID("job", parts[0]); err != nil {
		return Request{}, fmt.Errorf("path %q: %w", path, err)
	}
	switch {
	case len(parts) == 1:
		return Request{Job: parts[0]}, nil
	case len(parts) != 5 || parts[1] != "maps" || parts[3] != "partitions":
		return Request{}, fmt.Errorf("path %q: want /v1/jobs/<job>/maps/<attempt>/partitions/<n>", path)
	}
	if err := CheckID("attempt", parts[2]); err != nil {
		return Request{}, fmt.Errorf("path %q: %w", path, err)
	}
	p, err := parseDecimal(parts[4], maxPartition)
	if err != nil {
		return Request{}, fmt.Errorf("path %q: partition: %w", path, err)
	}
	return Request{Job: parts[0], Attempt: parts[2], Partition: int(p)}, nil
}

// CheckID checks a job or attempt ID: 1 to 64 letters, digits, '-' or
// '_', so that it is one safe file name.
func CheckID(what, id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("%s id %q: want 1 to %d letters, digits, '-' or '_'", what, id, maxIDLen)
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("%s id %q: %q is not allowed; want letters, digits, '-' or '_'", what, id, r)
		}
	}
	return nil
}

// parseDecimal parses a plain decimal number up to limit: digits only, no
// sign, no leading zero but for 0 itself.
func parseDecimal(s string, limit int64) (int64, error) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%q: want a decimal number without leading zeros", s)
	}
	var n int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q: want a decimal number", s)
		}
		d := int64(c - '0')
		if n > (limit-d)/10 {
			return 0, fmt.Errorf("%q: want at most %d", s, limit)
		}
		n = n*10 + d
	}
	return n, nil
}
