package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// PathStyleEnv names the variable that asks for path-style addressing
// (http://endpoint/bucket/key rather than http://bucket.endpoint/key), which
// most S3-compatible servers need: "true" or "false". AltPathStyleEnv is
// read when it is unset.
const (
	PathStyleEnv    = "DOCKMR_S3_PATH_STYLE"
	AltPathStyleEnv = "AWS_S3_USE_PATH_STYLE"
)

// DefaultRegion is the region used when no standard source sets one:
// S3-compatible servers accept any.
const DefaultRegion = "us-east-1"

// S3 is a Store over one bucket of an S3-compatible object store, through
// aws-sdk-go-v2.
type S3 struct {
	Client *s3.Client
	Bucket string
}

var _ Store = (*S3)(nil)

var (
	clientsMu sync.Mutex
	clients   = map[string]*s3.Client{}
)

// configEnv are the variables a client's configuration depends on most:
// a process that changes them (a test) gets a new client.
var configEnv = []string{
	"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	PathStyleEnv, AltPathStyleEnv,
}

// NewS3 returns the Store of a bucket, configured from the standard AWS
// sources: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION (default
// us-east-1), environment credentials, the shared config and credentials
// files and AWS_PROFILE; path-style addressing from DOCKMR_S3_PATH_STYLE
// (or AWS_S3_USE_PATH_STYLE). Stores share a client while those variables
// stay the same.
func NewS3(ctx context.Context, bucket string) (*S3, error) {
	var key strings.Builder
	for _, name := range configEnv {
		key.WriteString(os.Getenv(name) + "\x00")
	}
	clientsMu.Lock()
	defer clientsMu.Unlock()
	c, ok := clients[key.String()]
	if !ok {
		var err error
		if c, err = NewClient(ctx); err != nil {
			return nil, err
		}
		clients[key.String()] = c
	}
	return &S3{Client: c, Bucket: bucket}, nil
}

// NewClient returns a new S3 client configured as NewS3 says.
func NewClient(ctx context.Context) (*s3.Client, error) {
	pathStyle, err := pathStyleSetting()
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 6
			o.MaxBackoff = 5 * time.Second
		})
	}))
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration (AWS_* variables, AWS_PROFILE, ~/.aws/config): %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = pathStyle
		// S3-compatible servers differ in the checksums they know:
		// send and check them only where S3 requires them.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}), nil
}

// pathStyleSetting reads DOCKMR_S3_PATH_STYLE, else AWS_S3_USE_PATH_STYLE.
func pathStyleSetting() (bool, error) {
	for _, name := range []string{PathStyleEnv, AltPathStyleEnv} {
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%s=%q: want true or false", name, v)
		}
		return b, nil
	}
	return false, nil
}

// CheckBucket checks that the bucket exists and the credentials may use it.
func (s *S3) CheckBucket(ctx context.Context) error {
	_, err := s.Client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.Bucket})
	return s.explain(err, "")
}

// Open implements Store with ranged GETs, reopened from where a failed
// read stopped.
func (s *S3) Open(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if length < 0 {
		o, err := s.Stat(ctx, key)
		if err != nil {
			return nil, err
		}
		length = max(0, o.Size-off)
	}
	open := func(off, n int64) (io.ReadCloser, error) {
		out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{
			Bucket: &s.Bucket, Key: &key, Range: aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1)),
		})
		if err != nil {
			return nil, s.explain(err, key)
		}
		return out.Body, nil
	}
	return newRetryReader(ctx, open, off, length)
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Object, error) {
	out, err := s.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.Bucket, Key: &key})
	if err != nil {
		return Object{}, s.explain(err, key)
	}
	return Object{Key: key, Size: aws.ToInt64(out.ContentLength)}, nil
}

// List implements Store.
func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	var objs []Object
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: &s.Bucket, Prefix: &prefix})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.explain(err, prefix)
		}
		for _, o := range page.Contents {
			objs = append(objs, Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size)})
		}
	}
	return objs, nil
}

// Put implements Store with one PutObject, reading r whole into memory: it
// is for small objects (_SUCCESS, history); part files are uploads.
// ifAbsent sends If-None-Match: *.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, ifAbsent bool) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{Bucket: &s.Bucket, Key: &key, Body: bytes.NewReader(b)}
	if ifAbsent {
		in.IfNoneMatch = aws.String("*")
	}
	_, err = s.Client.PutObject(ctx, in)
	return s.explain(err, key)
}

// Complete implements Store. An upload of no bytes has no upload ID and
// becomes an empty object here.
func (s *S3) Complete(ctx context.Context, p Pending) error {
	if p.UploadID == "" {
		return s.Put(ctx, p.Key, bytes.NewReader(nil), false)
	}
	parts := make([]types.CompletedPart, len(p.Parts))
	for i, etag := range p.Parts {
		parts[i] = types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(etag)}
	}
	_, err := s.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.Bucket, Key: &p.Key, UploadId: &p.UploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	return s.explain(err, p.Key)
}

// Pending implements Store.
func (s *S3) Pending(ctx context.Context, prefix string) ([]Pending, error) {
	var ps []Pending
	in := &s3.ListMultipartUploadsInput{Bucket: &s.Bucket, Prefix: &prefix}
	for {
		out, err := s.Client.ListMultipartUploads(ctx, in)
		if err != nil {
			return nil, s.explain(err, prefix)
		}
		for _, u := range out.Uploads {
			ps = append(ps, Pending{Key: aws.ToString(u.Key), UploadID: aws.ToString(u.UploadId)})
		}
		if !aws.ToBool(out.IsTruncated) {
			return ps, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// Abort implements Store; an upload that is gone already is no error.
func (s *S3) Abort(ctx context.Context, p Pending) error {
	if p.UploadID == "" {
		return nil
	}
	_, err := s.Client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.Bucket, Key: &p.Key, UploadId: &p.UploadID})
	if err = s.explain(err, p.Key); errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// DeletePrefix implements Store.
func (s *S3) DeletePrefix(ctx context.Context, prefix string) error {
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if _, err := s.Client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.Bucket, Key: aws.String(o.Key)}); err != nil {
			return s.explain(err, o.Key)
		}
	}
	return nil
}

// url names an object of the bucket.
func (s *S3) url(key string) string {
	return Location{Bucket: s.Bucket, Key: strings.Trim(key, "/")}.String()
}

// Credentials returns the credentials the standard AWS sources give this
// process, for handing to tasks that run elsewhere.
func Credentials(ctx context.Context) (aws.Credentials, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("load the AWS configuration (AWS_* variables, AWS_PROFILE, ~/.aws/config): %w", err)
	}
	if cfg.Credentials == nil {
		return aws.Credentials{}, fmt.Errorf("no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE: %w", err)
	}
	return c, nil
}
