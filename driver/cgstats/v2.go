package cgstats

import (
	"fmt"
	"time"
)

// V2Files holds the content of a container's cgroup v2 interface files. A nil
// field means the file does not exist, which is accepted for the optional
// ones.
type V2Files struct {
	// MemoryCurrent is memory.current (required).
	MemoryCurrent []byte
	// MemoryPeak is memory.peak (optional: Linux 5.19 and later).
	MemoryPeak []byte
	// MemoryStat is memory.stat (required).
	MemoryStat []byte
	// MemorySwapCurrent is memory.swap.current (optional: only with swap
	// accounting).
	MemorySwapCurrent []byte
	// CPUStat is cpu.stat (required). Its usage lines are always there; the
	// throttling lines only when the cpu controller is enabled for the cgroup.
	CPUStat []byte
}

// FromV2 parses the cgroup v2 files of one container.
//
// Memory: RSS is memory.stat's anon and Cache its file, the v2 counterparts
// Nomad uses of v1's rss and cache; MappedFile is file_mapped; Usage is
// memory.current, MaxUsage memory.peak and Swap memory.swap.current when
// those files exist.
func FromV2(f V2Files) (Counters, error) {
	var c Counters
	if err := v2Memory(f, &c); err != nil {
		return Counters{}, err
	}
	if err := v2CPU(f, &c); err != nil {
		return Counters{}, err
	}
	return c, nil
}

func v2Memory(f V2Files, c *Counters) error {
	if f.MemoryStat == nil {
		return fmt.Errorf("memory.stat: file missing")
	}
	if f.MemoryCurrent == nil {
		return fmt.Errorf("memory.current: file missing")
	}
	stat := flatKeyed{name: "memory.stat", data: f.MemoryStat}
	m := &c.Memory
	m.Measured = make([]string, 0, 5)

	var err error
	if m.RSS, err = stat.require("anon"); err != nil {
		return err
	}
	if m.Cache, err = stat.require("file"); err != nil {
		return err
	}
	m.Measured = append(m.Measured, fieldRSS, fieldCache)
	// file_mapped has no measured-field name in Nomad, so it is set but never
	// listed.
	if m.MappedFile, _, err = stat.lookup("file_mapped"); err != nil {
		return err
	}

	if f.MemorySwapCurrent != nil {
		if m.Swap, err = singleValue("memory.swap.current", f.MemorySwapCurrent); err != nil {
			return err
		}
		m.Measured = append(m.Measured, fieldSwap)
	}
	if m.Usage, err = singleValue("memory.current", f.MemoryCurrent); err != nil {
		return err
	}
	m.Measured = append(m.Measured, fieldUsage)
	if f.MemoryPeak != nil {
		if m.MaxUsage, err = singleValue("memory.peak", f.MemoryPeak); err != nil {
			return err
		}
		m.Measured = append(m.Measured, fieldMaxUsage)
	}
	return nil
}

func v2CPU(f V2Files, c *Counters) error {
	if f.CPUStat == nil {
		return fmt.Errorf("cpu.stat: file missing")
	}
	stat := flatKeyed{name: "cpu.stat", data: f.CPUStat}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{
		{"usage_usec", &c.CPU.Total},
		{"user_usec", &c.CPU.User},
		{"system_usec", &c.CPU.System},
	} {
		v, err := stat.require(d.key)
		if err != nil {
			return err
		}
		if *d.dst, err = asDuration("cpu.stat", d.key, v, time.Microsecond); err != nil {
			return err
		}
	}

	periods, found, err := stat.lookup("nr_throttled")
	if err != nil || !found {
		return err
	}
	throttled, err := stat.require("throttled_usec")
	if err != nil {
		return err
	}
	if c.CPU.ThrottledTime, err = asDuration("cpu.stat", "throttled_usec", throttled, time.Microsecond); err != nil {
		return err
	}
	c.CPU.ThrottledPeriods = periods
	c.CPU.Throttled = true
	return nil
}
