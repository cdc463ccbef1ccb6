package tera

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// benchRecords is the number of records in the sort and validation
// benchmarks: 100 MB.
const benchRecords = 1_000_000

// reportPerRecord adds ns/record to a benchmark whose iterations each handle
// records records.
func reportPerRecord(b *testing.B, records int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(records), "ns/record")
}

func BenchmarkGenerate(b *testing.B) {
	for _, f := range []Format{Binary, ASCII} {
		b.Run(f.String(), func(b *testing.B) {
			buf := make([]byte, 10000*RecordSize) // cache-sized, as GenerateTo uses
			g := NewGenerator(f, 0)
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				g.Fill(buf)
			}
			reportPerRecord(b, 10000)
		})
	}
}

func BenchmarkGenerateTo(b *testing.B) {
	const rows = 100000
	b.SetBytes(rows * RecordSize)
	for b.Loop() {
		var sum Checksum
		if err := GenerateTo(io.Discard, Binary, 0, rows, &sum); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRecord(b, rows)
}

func BenchmarkChecksum(b *testing.B) {
	buf := make([]byte, 10000*RecordSize)
	NewGenerator(Binary, 0).Fill(buf)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		var c Checksum
		c.AddRecords(buf)
	}
	reportPerRecord(b, 10000)
}

func BenchmarkPartition(b *testing.B) {
	buf := make([]byte, 100000*RecordSize)
	NewGenerator(Binary, 0).Fill(buf)
	var samples [][]byte
	for i := 0; i < len(buf); i += 10 * RecordSize {
		samples = append(samples, buf[i:i+KeySize])
	}
	for _, parts := range []int{16, 1024} {
		b.Run(fmt.Sprint(parts), func(b *testing.B) {
			p := NewPartitioner(CutPoints(samples, parts))
			b.SetBytes(int64(len(buf)))
			var sink int
			for b.Loop() {
				for i := 0; i < len(buf); i += RecordSize {
					sink += p.Partition(buf[i : i+RecordSize])
				}
			}
			reportPerRecord(b, 100000)
		})
	}
}

func sortBenchInputs() map[string][]byte {
	gen := make([]byte, benchRecords*RecordSize)
	NewGenerator(Binary, 0).Fill(gen)
	r := rand.New(rand.NewPCG(1, 1))
	dups := bytes.Clone(gen)
	for i := 0; i < len(dups); i += RecordSize {
		copy(dups[i:i+KeySize], key(byte(r.IntN(4))))
	}
	return map[string][]byte{"teragen": gen, "4keys": dups}
}

func BenchmarkSortRecords(b *testing.B) {
	for name, input := range sortBenchInputs() {
		buf := make([]byte, len(input))
		b.Run(name+"/inplace", func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			for b.Loop() {
				b.StopTimer()
				copy(buf, input)
				b.StartTimer()
				SortRecords(buf)
			}
			reportPerRecord(b, benchRecords)
		})
		b.Run(name+"/to", func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			for b.Loop() {
				if err := SortRecordsTo(buf, input); err != nil {
					b.Fatal(err)
				}
			}
			reportPerRecord(b, benchRecords)
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	buf := make([]byte, benchRecords*RecordSize)
	NewGenerator(Binary, 0).Fill(buf)
	SortRecords(buf)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := ValidateFile(bytes.NewReader(buf), "bench"); err != nil {
			b.Fatal(err)
		}
	}
	reportPerRecord(b, benchRecords)
}

// BenchmarkReadBaseline reads the validation input as ValidateFile does,
// without looking at it: the floor ValidateFile is measured against.
func BenchmarkReadBaseline(b *testing.B) {
	data := make([]byte, benchRecords*RecordSize)
	buf := make([]byte, validateBufRecords*RecordSize)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := bytes.NewReader(data)
		for {
			if _, err := io.ReadFull(r, buf); err != nil {
				break
			}
		}
	}
	reportPerRecord(b, benchRecords)
}

// BenchmarkCopyBaseline copies the sort benchmarks' input once: the floor
// any sort of it is measured against.
func BenchmarkCopyBaseline(b *testing.B) {
	src := make([]byte, benchRecords*RecordSize)
	dst := make([]byte, len(src))
	NewGenerator(Binary, 0).Fill(src)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		copy(dst, src)
	}
	reportPerRecord(b, benchRecords)
}
