// Package importrules holds dockmr's layout rules as data and checks the
// module against them in a unit test that needs nothing but the go
// command (no root, Docker, Nomad or built binaries):
//
//   - the allowed import directions between dockmr's packages (Rules),
//     each with its reason, checked against `go list -json ./...`;
//   - every package has a package doc comment;
//   - every package has a row in README.md's layout table and in
//     docs/architecture.md's package map, and neither names a package
//     that is gone;
//   - only system tests (under e2e/) import the helpers that start
//     Docker, dockerd or Nomad, with the exceptions Rules names.
//
// A new package needs its doc comment and its two rows; a new import
// direction needs a rule here, or the test says which import breaks
// which rule and why the rule is there.
package importrules
