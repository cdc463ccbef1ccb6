package clustertest

import (
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/shoenig/test/must"
)

func TestParentPID(t *testing.T) {
	must.Eq(t, os.Getppid(), ParentPID(os.Getpid()))
	must.Zero(t, ParentPID(-1), must.Sprint("a process that is not there"))
}

func TestFreeHTTPPortLeavesThreePortsFree(t *testing.T) {
	p := FreeHTTPPort(t)
	must.True(t, portsFree(p, p+1, p+2))
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1))
	must.NoError(t, err)
	defer l.Close()
	must.False(t, portsFree(p, p+1, p+2), must.Sprint("a port in use"))
}

func TestNodeFilter(t *testing.T) {
	must.Eq(t, []string{LabelJobID}, NodeFilter("").Get("label"))
	must.SliceContainsAll(t, []string{LabelJobID, LabelNode + "=n1"}, NodeFilter("n1").Get("label"))
}
