package storage

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// PartSize is the size of each part of a multipart upload but the last:
// an upload holds two such buffers, one filling while one uploads.
const PartSize = 8 << 20

// Create implements Store: a multipart upload, begun at the first full
// part, whose parts go up as the writer fills them and which stays
// invisible until Complete.
func (s *S3) Create(ctx context.Context, key string) (Upload, error) {
	return &s3Upload{s: s, ctx: ctx, p: Pending{Key: key}, buf: make([]byte, 0, PartSize)}, nil
}

// s3Upload writes an object as a multipart upload.
type s3Upload struct {
	s    *S3
	ctx  context.Context
	p    Pending
	buf  []byte
	done chan error // the part in flight, if any
	err  error
}

func (u *s3Upload) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		if u.err != nil {
			return n, u.err
		}
		c := copy(u.buf[len(u.buf):cap(u.buf)], b)
		u.buf = u.buf[:len(u.buf)+c]
		b, n = b[c:], n+c
		if len(u.buf) == cap(u.buf) {
			u.err = u.flush()
		}
	}
	return n, u.err
}

// flush starts the upload of the buffer as the next part, after waiting
// for the part before it.
func (u *s3Upload) flush() error {
	if err := u.wait(); err != nil {
		return err
	}
	if u.p.UploadID == "" {
		out, err := u.s.Client.CreateMultipartUpload(u.ctx, &s3.CreateMultipartUploadInput{Bucket: &u.s.Bucket, Key: &u.p.Key})
		if err != nil {
			return u.s.explain(err, u.p.Key)
		}
		u.p.UploadID = aws.ToString(out.UploadId)
	}
	u.p.Parts = append(u.p.Parts, "")
	num, body := len(u.p.Parts), u.buf
	u.buf = make([]byte, 0, PartSize)
	u.done = make(chan error, 1)
	go func() {
		out, err := u.s.Client.UploadPart(u.ctx, &s3.UploadPartInput{
			Bucket: &u.s.Bucket, Key: &u.p.Key, UploadId: &u.p.UploadID,
			PartNumber: aws.Int32(int32(num)), Body: bytesReader(body),
		})
		if err == nil {
			u.p.Parts[num-1] = aws.ToString(out.ETag)
		}
		u.done <- u.s.explain(err, u.p.Key)
	}()
	return nil
}

// wait waits for the part in flight.
func (u *s3Upload) wait() error {
	if u.done == nil {
		return nil
	}
	err := <-u.done
	u.done = nil
	return err
}

// Close uploads the last part and returns the pending upload. An object
// of no bytes gets no upload; Complete puts it.
func (u *s3Upload) Close() (Pending, error) {
	if u.err == nil && len(u.buf) > 0 {
		u.err = u.flush()
	}
	if err := u.wait(); u.err == nil {
		u.err = err
	}
	if u.err != nil {
		u.Abandon()
		return Pending{}, fmt.Errorf("upload %s: %w", u.s.url(u.p.Key), u.err)
	}
	return u.p, nil
}

// Abandon aborts the upload.
func (u *s3Upload) Abandon() {
	_ = u.wait()
	_ = u.s.Abort(context.WithoutCancel(u.ctx), u.p) // failing already; a job commit aborts leftovers
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
