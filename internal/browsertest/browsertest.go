// Package browsertest renders pages in Debian's headless Chromium for
// tests: the DOM after the page's scripts ran, and screenshots.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Path is where Debian's chromium package installs the browser.
const Path = "/usr/bin/chromium"

// Require skips the test under -short or when the browser is missing,
// saying which.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	if _, err := os.Stat(Path); err != nil {
		t.Skipf("no headless browser to render pages with: %v (install Debian's chromium package)", err)
	}
}

// DumpDOM renders a page file and returns its DOM after its scripts ran.
func DumpDOM(t testing.TB, page string) string {
	t.Helper()
	return string(run(t, "--dump-dom", "file://"+page))
}

// Screenshot renders a page file into a PNG of the given window size.
func Screenshot(t testing.TB, page, png string, width, height int) {
	t.Helper()
	run(t, "--screenshot="+png, "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), "--hide-scrollbars", "file://"+page)
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Fatalf("chromium wrote no screenshot %s: %v", png, err)
	}
}

func run(t testing.TB, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A profile of its own: the browser refuses to share one, and must
	// leave nothing behind.
	profile, err := os.MkdirTemp("", "dockmr-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile}, args...)
	cmd := exec.CommandContext(ctx, Path, all...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %q: %v\n%s", args, err, stderr.String())
	}
	return out
}
