package storage

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/smithy-go"
)

// explain turns an S3 error into one that names the URL and says what to
// fix; missing keys and buckets wrap ErrNotFound, a failed If-None-Match
// ErrExists.
func (s *S3) explain(err error, key string) error {
	if err == nil {
		return nil
	}
	u := s.url(key)
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("%s: bucket %q does not exist: %w; create it or fix the URL", u, s.Bucket, ErrNotFound)
		case "NotFound", "NoSuchKey", "NoSuchUpload":
			if key == "" {
				return fmt.Errorf("%s: bucket %q does not exist: %w; create it or fix the URL", u, s.Bucket, ErrNotFound)
			}
			return fmt.Errorf("%s: %w", u, ErrNotFound)
		case "PreconditionFailed":
			return fmt.Errorf("%s: %w", u, ErrExists)
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Forbidden", "InvalidToken", "ExpiredToken":
			return fmt.Errorf("%s: the S3 server refused the credentials (%s); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE: %w",
				u, api.ErrorCode(), err)
		}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "no EC2 IMDS role found") ||
		strings.Contains(msg, "static credentials are empty"):
		return fmt.Errorf("%s: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials: %w", u, err)
	}
	var op *net.OpError
	if errors.As(err, &op) || strings.Contains(msg, "connection refused") || strings.Contains(msg, "no such host") {
		return fmt.Errorf("%s: the S3 endpoint is unreachable; check AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL and that the server runs: %w", u, err)
	}
	return fmt.Errorf("%s: %w", u, err)
}
