package driver

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Tests run the driver inside the test binary, which therefore also
	// serves as the FIFO keeper the driver starts.
	RunFIFOKeeperIfRequested()
	os.Exit(m.Run())
}
