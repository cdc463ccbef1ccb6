package shuffle

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkFetchStream is one fetch stream's throughput over loopback: a
// 64 MiB partition served from the page cache (sendfile) and read into
// nothing, as a reduce's fetch of one large segment is.
func BenchmarkFetchStream(b *testing.B) {
	const size = 64 << 20
	store := Store{Dir: b.TempDir()}
	secret, _ := NewSecret()
	tmp, err := store.StartAttempt("j", "a", secret)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(tmp, OutputFile))
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := store.FinishAttempt("j", "a", tmp, []Segment{{0, size}}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(&Server{Store: store})
	defer srv.Close()
	fetcher := &Fetcher{Job: "j", Secret: secret}
	src := []Source{{Map: 0, Addr: strings.TrimPrefix(srv.URL, "http://"), Attempt: "a", Length: size}}
	discard := func(_ Source, r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }
	b.SetBytes(size)
	for b.Loop() {
		if err := fetcher.Fetch(context.Background(), 0, src, discard); err != nil {
			b.Fatal(err)
		}
	}
}
