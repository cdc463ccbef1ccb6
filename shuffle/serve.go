package shuffle

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// ServeCommand is the task runtime's command that runs a node's shuffle
// server: `dockmr-task shuffle-serve --dir DIR --listen HOST:PORT`.
const ServeCommand = "shuffle-serve"

// DefaultMaxAge is how long a job's data may sit unchanged on a node
// before the server removes it, for jobs whose end the node missed.
const DefaultMaxAge = 24 * time.Hour

// ServeUsage is the command line of the shuffle server.
const ServeUsage = `usage: dockmr-task shuffle-serve --dir DIR --listen HOST:PORT [--max-age D]

Serves the map output in the node's shuffle directory DIR to the reduces
of the same job, over HTTP on HOST:PORT, and removes a job's data when
its runner asks (at the job's end) or when it has not changed for
--max-age (default 24h), whichever comes first.
`

// ServeMain runs the shuffle server until ctx ends and returns its exit
// status: 0 after a clean stop, 1 when it cannot serve, 2 for a bad
// command line.
func ServeMain(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(ServeCommand, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "", "")
	listen := fs.String("listen", "", "")
	maxAge := fs.Duration("max-age", DefaultMaxAge, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *dir == "" || *listen == "" || *maxAge <= 0 {
		if err == nil {
			err = errors.New("--dir and --listen are required, --max-age must be positive, and nothing else")
		}
		fmt.Fprintf(stderr, "dockmr-task %s: %v\n\n%s", ServeCommand, err, ServeUsage)
		return 2
	}
	if err := serve(ctx, *dir, *listen, *maxAge, stderr); err != nil {
		fmt.Fprintf(stderr, "dockmr-task %s: %v\n", ServeCommand, err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, dir, listen string, maxAge time.Duration, stderr io.Writer) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("shuffle directory %q is not a directory (%v); set the node's dockmr_shuffle_dir meta to one the driver may mount", dir, err)
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s (the node's dockmr_shuffle_addr): %w", listen, err)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	store := Store{Dir: dir}
	srv := &http.Server{
		Handler:           &Server{Store: store, Log: logf},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	go sweepEvery(ctx, store, maxAge, logf)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // connections still open are closed by Serve's return
	}()
	logf("shuffle: serving %s on %s", dir, l.Addr())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sweepEvery sweeps the store at start and then every maxAge/4 (at most
// hourly) until ctx ends.
func sweepEvery(ctx context.Context, store Store, maxAge time.Duration, logf func(string, ...any)) {
	every := min(maxAge/4, time.Hour)
	for {
		removed, err := store.Sweep(time.Now(), maxAge)
		if err != nil {
			logf("shuffle: sweep: %v", err)
		}
		for _, job := range removed {
			logf("shuffle: removed the data of job %s, unchanged for %s", job, maxAge)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
