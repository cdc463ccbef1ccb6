package nomadtest

import (
	"os"
	"testing"

	"github.com/shoenig/test/must"
)

func TestParseStatHandlesOddCommandNames(t *testing.T) {
	line := "4242 (odd) name)) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 555 12345678 321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	ppid, rss, err := parseStat([]byte(line))
	must.NoError(t, err)
	must.Eq(t, 17, ppid)
	must.Eq(t, uint64(321*os.Getpagesize()), rss)
}

func TestParseStatRejectsMalformed(t *testing.T) {
	_, _, err := parseStat([]byte("4242 no parenthesis"))
	must.ErrorContains(t, err, "malformed stat line")
	_, _, err = parseStat([]byte("4242 (short) S 1 2"))
	must.ErrorContains(t, err, "want at least 22")
}

func TestReadProcessSelf(t *testing.T) {
	p, err := readProcess(os.Getpid())
	must.NoError(t, err)
	must.Eq(t, os.Getppid(), p.PPID)
	must.Positive(t, p.RSS)
	must.Positive(t, p.PSS)
	must.LessEq(t, p.RSS, p.PSS)
	exe, err := os.Executable()
	must.NoError(t, err)
	must.Eq(t, exe, p.Exe)
	must.Eq(t, os.Args, p.Args)
}

func TestHasEnvEntry(t *testing.T) {
	env := []byte("A=1\x00DOCKMR_E2E_AGENT=abc\x00B=\x00")
	must.True(t, hasEnvEntry(env, "DOCKMR_E2E_AGENT=abc"))
	must.False(t, hasEnvEntry(env, "DOCKMR_E2E_AGENT=ab"))
	must.True(t, hasEnvEntry(env, "B="))
}

func TestParsePSS(t *testing.T) {
	rollup := "55d0c0000000-7ffd5bd9e000 ---p 00000000 00:00 0 [rollup]\nRss:               12345 kB\nPss:                6789 kB\nPss_Anon:           1000 kB\n"
	must.Eq(t, uint64(6789*1024), parsePSS([]byte(rollup)))
	must.Eq(t, uint64(0), parsePSS([]byte("Rss: 1 kB\n")))
}
