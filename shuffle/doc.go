// Package shuffle moves map output from the node that made it to the
// reduces that read it, as Hadoop's ShuffleHandler and Fetcher do.
//
// A map task writes its sorted output and an index of its partitions to
// the node's shuffle directory (Store), under the job's ID and the map's
// attempt ID; the job's secret sits beside them. A Server on every node
// serves one partition of one attempt per request:
//
//	GET /v1/jobs/<job>/maps/<attempt>/partitions/<p>    (Range allowed)
//	DELETE /v1/jobs/<job>                                (the job's data)
//
// Every request carries an HMAC-SHA256 of its method and path under the
// job's secret (Sign). Requests the server cannot prove are the job's, or
// that name nothing it holds, get a status and no data. A Fetcher fetches
// a reduce's partition from every map, a few requests in flight, retrying
// with backoff, and names the maps it could not fetch (LostError) so that
// the job can run them again.
//
// Parsing (ParsePath, ParseRange), signing and the fetcher's retry
// decisions are pure functions, tested without a network.
package shuffle
