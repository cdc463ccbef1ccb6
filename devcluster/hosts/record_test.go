package hosts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

func validRecord() record {
	return record{
		ID: "1a2b3c", Link: "dmr1a2b3c", Switch: "dmr-1a2b3c-switch",
		Hosts: []recordHost{{Name: "server", NetNS: "dmr-1a2b3c-server", Addr: "198.18.0.2"}},
		Dirs:  []string{"/tmp/dmr-1a2b3c-42"},
	}
}

// TestRecordNamesOnlyItsOwn refuses a record that names anything its ID
// does not mark, so that cleaning can never touch what another made.
func TestRecordNamesOnlyItsOwn(t *testing.T) {
	r := validRecord()
	must.NoError(t, r.check())
	for name, spoil := range map[string]func(*record){
		"bad ID":        func(r *record) { r.ID = "../etc" },
		"foreign link":  func(r *record) { r.Link = "eth0" },
		"other run's":   func(r *record) { r.Switch = "dmr-ffffff-switch" },
		"foreign netns": func(r *record) { r.Hosts[0].NetNS = "production" },
		"root dir":      func(r *record) { r.Dirs = []string{"/"} },
		"top dir":       func(r *record) { r.Dirs = []string{"/home"} },
		"relative dir":  func(r *record) { r.Dirs = []string{"tmp/x"} },
	} {
		r := validRecord()
		r.Hosts = append([]recordHost(nil), r.Hosts...)
		spoil(&r)
		must.Error(t, r.check(), must.Sprint(name))
	}
}

func TestRecordRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := validRecord()
	must.NoError(t, r.write(dir))
	got, err := readRecord(r.path(dir))
	must.NoError(t, err)
	must.Eq(t, r, *got)

	// A file whose name does not match its ID is not trusted.
	must.NoError(t, os.Rename(r.path(dir), filepath.Join(dir, "ffffff.json")))
	_, err = readRecord(filepath.Join(dir, "ffffff.json"))
	must.ErrorContains(t, err, "holds network")
}

func TestCheckHostName(t *testing.T) {
	must.NoError(t, checkHostName("client-1"))
	must.ErrorContains(t, checkHostName("switch"), "the switch's")
	must.ErrorContains(t, checkHostName("Client"), "want a lower-case letter")
	must.ErrorContains(t, checkHostName("a-very-long-host-name-indeed"), "up to 19")
}

func TestAlive(t *testing.T) {
	self := os.Getpid()
	must.True(t, alive(self, startTime(self)))
	must.False(t, alive(self, startTime(self)+1), must.Sprint("a reused process ID"))
	must.False(t, alive(0, 0))
}
