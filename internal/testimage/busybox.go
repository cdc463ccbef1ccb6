package testimage

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// busyboxPaths are tried in order; Debian's busybox-static installs the first.
var busyboxPaths = []string{"/bin/busybox", "/usr/bin/busybox"}

// loadBusybox returns the bytes of a statically linked busybox found on this
// machine and the list of its applets as paths relative to the root, e.g.
// "bin/sh" and "usr/bin/seq".
func loadBusybox() (data []byte, applets []string, err error) {
	bin, err := findBusybox()
	if err != nil {
		return nil, nil, err
	}
	if err := checkStatic(bin); err != nil {
		return nil, nil, err
	}
	data, err = os.ReadFile(bin)
	if err != nil {
		return nil, nil, fmt.Errorf("read busybox: %w", err)
	}
	out, err := exec.Command(bin, "--list-full").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("list busybox applets with %s --list-full: %w", bin, err)
	}
	return data, strings.Fields(string(out)), nil
}

func findBusybox() (string, error) {
	for _, p := range busyboxPaths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("busybox"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("no busybox found in %s or PATH: install a static busybox (Debian: apt-get install busybox-static)",
		strings.Join(busyboxPaths, ", "))
}

// checkStatic rejects a dynamically linked busybox, which could not run in an
// image that holds no C library.
func checkStatic(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("read busybox %s as an ELF executable: %w", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("busybox %s is dynamically linked; a scratch image needs a static one (Debian: apt-get install busybox-static)", bin)
		}
	}
	return nil
}
