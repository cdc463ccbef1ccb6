// Package tera holds the record logic of the TeraGen, TeraSort and
// TeraValidate benchmarks: record formats, the Random16 generator, the
// checksum, sampling and total-order partitioning, record sorting and
// validation. It does no scheduling; dockmr's job runtime calls it to
// implement the teragen, terasort and teravalidate jobs:
//
//   - teragen: map i of M writes RowRange(rows, M, i) with GenerateTo (or a
//     Generator) and reports the Checksum it added up.
//   - terasort: SampleKeys reads samples from the input, CutPoints turns them
//     into cut points that WriteCutPoints hands to the map tasks, which
//     ReadCutPoints and route each record with a Partitioner; each reduce
//     task sorts its partition with SortRecords or SortRecordsTo.
//   - teravalidate: ValidateFile per file (or ValidateDir for a whole output
//     directory), Combine, and Report.WriteTo for Hadoop-style output.
//
// # Compatibility
//
// The Binary format is byte for byte the output of Hadoop's TeraGen
// (org.apache.hadoop.examples.terasort), which is also the binary format of
// sortbenchmark.org's gensort up to version 1.2. The ASCII format is the
// output of `gensort -a` (identical from gensort 1.1 to 1.5). Both formats use
// 100-byte records whose first 10 bytes are the sort key, and both derive row
// r from X(r+1) of the 128-bit linear congruential generator Random16, so
// output depends only on the row number: any split of the rows into map tasks
// and any retry of a task produce identical bytes.
//
// The checksum is the sum of the CRC-32 (IEEE) of every record as an unsigned
// 128-bit number, exactly what valsort prints; Hadoop's TeraValidate counter
// shows its low 64 bits. Sorting permutes records, so a correct sort keeps
// the checksum of its input.
//
// Partitioning follows Hadoop's TeraSort: sorted samples give P-1 cut points,
// cut i being sample round(i·n/P), and a record goes to the partition numbered
// by how many cut points are less than or equal to its key, so partition
// (reducer) order is global key order.
package tera
