package task

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// Files written directly hold exactly what was written, whatever the
// sizes of the writes and of the file, partial last block included.
func TestDirectFileWritesExactBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, size := range []int{0, 1, 4095, 4096, 4097, 3*directBlock + 100, 1<<20 + 12345} {
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(rng.Uint32())
		}
		path := filepath.Join(t.TempDir(), "part")
		d, err := createDirect(path, 64<<10)
		if errors.Is(err, errNoDirectIO) {
			t.Skipf("%s does not support direct I/O", filepath.Dir(path))
		}
		if err != nil {
			t.Fatal(err)
		}
		for p := want; len(p) > 0; {
			n := min(len(p), 1+rng.IntN(20000))
			if _, err := d.Write(p[:n]); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("size %d: read back %d bytes that differ from those written", size, len(got))
		}
	}
}
