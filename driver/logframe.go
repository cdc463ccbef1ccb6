package driver

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

const (
	streamStdout = 1
	streamStderr = 2
)

// logFrame is one line of Docker's multiplexed log stream.
type logFrame struct {
	stream byte
	ts     time.Time
	line   []byte
}

// frameDecoder reads Docker's multiplexed stream: an 8-byte header (stream
// type, three zero bytes, big-endian payload length) then the payload,
// which with Timestamps starts with an RFC 3339 time and a space.
type frameDecoder struct {
	r   *bufio.Reader
	hdr [8]byte
	buf []byte
}

func (d *frameDecoder) next() (logFrame, error) {
	if _, err := io.ReadFull(d.r, d.hdr[:]); err != nil {
		return logFrame{}, err
	}
	n := int(binary.BigEndian.Uint32(d.hdr[4:]))
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	d.buf = d.buf[:n]
	if _, err := io.ReadFull(d.r, d.buf); err != nil {
		return logFrame{}, fmt.Errorf("read log frame: %w", err)
	}
	return parseFrame(d.hdr[0], d.buf)
}

func parseFrame(stream byte, payload []byte) (logFrame, error) {
	sp := bytes.IndexByte(payload, ' ')
	if sp < 0 {
		return logFrame{}, fmt.Errorf("log frame without timestamp: %q", truncate(payload, 64))
	}
	ts, err := time.Parse(time.RFC3339Nano, string(payload[:sp]))
	if err != nil {
		return logFrame{}, fmt.Errorf("log frame timestamp %q: %w", truncate(payload[:sp], 64), err)
	}
	return logFrame{stream: stream, ts: ts, line: payload[sp+1:]}, nil
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
