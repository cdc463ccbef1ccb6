package mountinfo

import (
	"os"
	"testing"
)

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`/tmp/a\040b/c`: "/tmp/a b/c",
		`/tmp/tail\04`:  `/tmp/tail\04`,
		`/x\134y`:       `/x\y`,
		`/plain`:        "/plain",
	} {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnder(t *testing.T) {
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		t.Skip("no /proc/self/mountinfo")
	}
	got, err := Under("/proc")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[len(got)-1] != "/proc" {
		t.Errorf("mounts under /proc = %q, want /proc itself last", got)
	}
	none, err := Under(t.TempDir() + "/absent")
	if err != nil || len(none) != 0 {
		t.Errorf("mounts under an absent dir = %q, %v; want none", none, err)
	}
}
