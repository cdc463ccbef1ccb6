package cgstats

import (
	"fmt"
	"time"
)

// userHZ is the unit of cpuacct.stat: USER_HZ ticks per second, which the
// kernel fixes at 100 on every architecture Go supports, whatever CONFIG_HZ
// is.
const userHZ = 100

// tick is the duration of one USER_HZ tick.
const tick = time.Second / userHZ

// V1Files holds the content of a container's cgroup v1 interface files. A nil
// field means the file does not exist, which is accepted for the optional
// ones.
type V1Files struct {
	// MemoryStat is memory.stat (required).
	MemoryStat []byte
	// MemoryUsage is memory.usage_in_bytes (required).
	MemoryUsage []byte
	// MemoryMaxUsage is memory.max_usage_in_bytes (optional).
	MemoryMaxUsage []byte
	// CPUAcctUsage is cpuacct.usage, total CPU time in nanoseconds (required).
	CPUAcctUsage []byte
	// CPUAcctStat is cpuacct.stat, user and system time in USER_HZ ticks
	// (required).
	CPUAcctStat []byte
	// CPUStat is the cpu controller's cpu.stat with the throttling counters
	// (optional: absent when the cpu controller is not mounted).
	CPUStat []byte
}

// FromV1 parses the cgroup v1 files of one container.
//
// Memory: RSS, Cache, MappedFile and Swap come from memory.stat, preferring
// the hierarchical total_* lines so they cover the same tasks as
// memory.usage_in_bytes. Swap is measured only when memory.stat has a swap
// line, which the kernel writes exactly when swap accounting (and with it
// memory.memsw.*) is enabled; it is the swap alone, not memsw's memory+swap.
//
// CPU: the total is cpuacct.usage, exact scheduler time; the user and system
// split is cpuacct.stat, sampled at the scheduler tick like runc and Nomad
// read it, so over short intervals UserMode+SystemMode can stray from Percent
// by a tick (10 ms) per interval. cpuacct.usage_all is no better: on current
// kernels it is tick-sampled as well.
func FromV1(f V1Files) (Counters, error) {
	var c Counters
	if err := v1Memory(f, &c); err != nil {
		return Counters{}, err
	}
	if err := v1CPU(f, &c); err != nil {
		return Counters{}, err
	}
	return c, nil
}

func v1Memory(f V1Files, c *Counters) error {
	if f.MemoryStat == nil {
		return fmt.Errorf("memory.stat: file missing")
	}
	if f.MemoryUsage == nil {
		return fmt.Errorf("memory.usage_in_bytes: file missing")
	}
	stat := flatKeyed{name: "memory.stat", data: f.MemoryStat}
	m := &c.Memory
	m.Measured = make([]string, 0, 5)

	var found bool
	var err error
	if m.RSS, found, err = stat.first("total_rss", "rss"); err != nil {
		return err
	} else if !found {
		return fmt.Errorf("memory.stat: no \"total_rss\" or \"rss\" line in content %s", quote(f.MemoryStat))
	}
	if m.Cache, found, err = stat.first("total_cache", "cache"); err != nil {
		return err
	} else if !found {
		return fmt.Errorf("memory.stat: no \"total_cache\" or \"cache\" line in content %s", quote(f.MemoryStat))
	}
	m.Measured = append(m.Measured, fieldRSS, fieldCache)

	// mapped_file has no measured-field name in Nomad, so it is set but never
	// listed.
	if m.MappedFile, _, err = stat.first("total_mapped_file", "mapped_file"); err != nil {
		return err
	}
	if m.Swap, found, err = stat.first("total_swap", "swap"); err != nil {
		return err
	} else if found {
		m.Measured = append(m.Measured, fieldSwap)
	}

	if m.Usage, err = singleValue("memory.usage_in_bytes", f.MemoryUsage); err != nil {
		return err
	}
	m.Measured = append(m.Measured, fieldUsage)
	if f.MemoryMaxUsage != nil {
		if m.MaxUsage, err = singleValue("memory.max_usage_in_bytes", f.MemoryMaxUsage); err != nil {
			return err
		}
		m.Measured = append(m.Measured, fieldMaxUsage)
	}
	return nil
}

func v1CPU(f V1Files, c *Counters) error {
	if f.CPUAcctUsage == nil {
		return fmt.Errorf("cpuacct.usage: file missing")
	}
	if f.CPUAcctStat == nil {
		return fmt.Errorf("cpuacct.stat: file missing")
	}
	total, err := singleValue("cpuacct.usage", f.CPUAcctUsage)
	if err != nil {
		return err
	}
	acct := flatKeyed{name: "cpuacct.stat", data: f.CPUAcctStat}
	user, err := acct.require("user")
	if err != nil {
		return err
	}
	system, err := acct.require("system")
	if err != nil {
		return err
	}
	if c.CPU.Total, err = asDuration("cpuacct.usage", "", total, time.Nanosecond); err != nil {
		return err
	}
	if c.CPU.User, err = asDuration("cpuacct.stat", "user", user, tick); err != nil {
		return err
	}
	if c.CPU.System, err = asDuration("cpuacct.stat", "system", system, tick); err != nil {
		return err
	}

	if f.CPUStat == nil {
		return nil
	}
	stat := flatKeyed{name: "cpu.stat", data: f.CPUStat}
	if c.CPU.ThrottledPeriods, err = stat.require("nr_throttled"); err != nil {
		return err
	}
	throttled, err := stat.require("throttled_time")
	if err != nil {
		return err
	}
	if c.CPU.ThrottledTime, err = asDuration("cpu.stat", "throttled_time", throttled, time.Nanosecond); err != nil {
		return err
	}
	c.CPU.Throttled = true
	return nil
}
