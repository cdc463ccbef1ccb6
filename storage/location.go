// Package storage is where job input and output live: a local (or shared)
// directory, or an S3-compatible object store named by an s3://bucket/prefix
// URL. Both backends implement Store: ranged streaming reads with retries,
// listing with sizes, conditional puts, multipart uploads left pending until
// a job commit completes them, and prefix deletion.
package storage

import (
	"fmt"
	"path"
	"strings"
)

// Scheme is the URL scheme of S3 locations.
const Scheme = "s3://"

// Location is an input or output of a job: a local path, or an S3 bucket
// and key prefix.
type Location struct {
	// Bucket is the S3 bucket; empty for a local path.
	Bucket string
	// Key is the object key or key prefix within the bucket, without a
	// leading or trailing '/'; for a local path, the path itself.
	Key string
}

// IsS3 reports whether the location is in S3.
func (l Location) IsS3() bool { return l.Bucket != "" }

// String returns the location as the user writes it.
func (l Location) String() string {
	if !l.IsS3() {
		return l.Key
	}
	if l.Key == "" {
		return Scheme + l.Bucket
	}
	return Scheme + l.Bucket + "/" + l.Key
}

// Join returns the location of name under l.
func (l Location) Join(name string) Location {
	if !l.IsS3() {
		return Location{Key: path.Join(l.Key, name)}
	}
	if l.Key == "" {
		return Location{Bucket: l.Bucket, Key: name}
	}
	return Location{Bucket: l.Bucket, Key: l.Key + "/" + name}
}

// IsURL reports whether s is written as a URL (scheme://...) rather than a
// path: such a value must parse as an s3:// location.
func IsURL(s string) bool {
	i := strings.Index(s, "://")
	return i > 0 && !strings.ContainsAny(s[:i], "/.")
}

// Parse parses the value of a field (such as "output" or "input 2") that
// is either a local path or an s3://bucket/prefix URL. A URL of another
// scheme, or an s3:// URL with a malformed bucket, is refused with the
// field, the value and what is accepted.
func Parse(field, value string) (Location, error) {
	if !IsURL(value) {
		return Location{Key: value}, nil
	}
	if !strings.HasPrefix(value, Scheme) {
		scheme, _, _ := strings.Cut(value, "://")
		return Location{}, fmt.Errorf("%s %q: unknown scheme %q; want a path or s3://bucket/prefix", field, value, scheme)
	}
	rest := strings.TrimPrefix(value, Scheme)
	bucket, key, _ := strings.Cut(rest, "/")
	if err := checkBucket(bucket); err != nil {
		return Location{}, fmt.Errorf("%s %q: %w; want s3://bucket/prefix", field, value, err)
	}
	key = strings.Trim(key, "/")
	if strings.Contains(key, "//") || strings.ContainsAny(key, "?#") {
		return Location{}, fmt.Errorf("%s %q: the key %q has an empty segment, '?' or '#'; want s3://bucket/prefix with '/'-separated names", field, value, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." {
			return Location{}, fmt.Errorf("%s %q: the key may not hold %q segments; want s3://bucket/prefix", field, value, seg)
		}
	}
	return Location{Bucket: bucket, Key: key}, nil
}

// checkBucket checks a bucket name against S3's rules: 3 to 63 lower-case
// letters, digits, '.' and '-', starting and ending with a letter or digit.
func checkBucket(b string) error {
	if b == "" {
		return fmt.Errorf("no bucket name")
	}
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket %q: a bucket name has 3 to 63 characters", b)
	}
	for i, r := range b {
		ok := 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || (r == '.' || r == '-') && i > 0 && i < len(b)-1
		if !ok {
			return fmt.Errorf("bucket %q: %q is not allowed there; a bucket name is lower-case letters, digits, '.' and '-', starting and ending with a letter or digit", b, r)
		}
	}
	return nil
}
