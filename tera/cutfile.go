package tera

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// The cut-point file holds one cut point per line in lowercase hex, in
// order; an empty file means a single partition. It is text so that it can
// be read and diffed by people.

// WriteCutPoints writes cut points to path atomically: readers see either
// the previous file or the complete new one, never a partial file.
func WriteCutPoints(path string, cuts [][]byte) error {
	var buf bytes.Buffer
	for _, c := range cuts {
		buf.WriteString(hex.EncodeToString(c))
		buf.WriteByte('\n')
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write cut points: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write cut points to %s: %w", tmp.Name(), err)
	}
	// Sort tasks read it, and may run as another user.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write cut points to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write cut points to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write cut points to %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write cut points: %w", err)
	}
	return nil
}

// ReadCutPoints reads a file written by WriteCutPoints. It rejects lines
// that are not hex keys and cut points out of order.
func ReadCutPoints(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read cut points: %w", err)
	}
	defer f.Close()
	var cuts [][]byte
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		c, err := hex.DecodeString(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("cut points file %s line %d: %q is not a hex key: %w", path, line, sc.Text(), err)
		}
		if len(c) == 0 || len(c) > KeySize {
			return nil, fmt.Errorf("cut points file %s line %d: key %q is %d bytes long, want 1 to %d",
				path, line, sc.Text(), len(c), KeySize)
		}
		if n := len(cuts); n > 0 && bytes.Compare(cuts[n-1], c) > 0 {
			return nil, fmt.Errorf("cut points file %s line %d: key %x sorts before the previous key %x; cut points must be in order",
				path, line, c, cuts[n-1])
		}
		cuts = append(cuts, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read cut points from %s: %w", path, err)
	}
	return cuts, nil
}
