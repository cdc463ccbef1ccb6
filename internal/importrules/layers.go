package importrules

import (
	"fmt"
	"slices"
)

// Side is a side of the picture in docs/architecture.md's "Import
// directions": the job runner's, the driver's, or shared by both.
type Side string

// The sides.
const (
	JobSide    Side = "job"
	DriverSide Side = "driver"
	Shared     Side = "shared"
)

// Layer places a package that ships on a side and a row of the picture;
// row 0 is the programs.
type Layer struct {
	Side Side
	Row  int
}

// Layers are the packages that ship, where the picture shows them. A
// package imports only packages on lower rows (a larger Row) of its own
// side or the shared one.
var Layers = map[string]Layer{
	"cmd/dockmr":         {JobSide, 0},
	"cmd/dockmr-task":    {JobSide, 0},
	"plugin":             {DriverSide, 0},
	"jobs/local":         {JobSide, 1},
	"jobs/nomad":         {JobSide, 1},
	"jobs/terajob":       {JobSide, 1},
	"jobs/spec":          {JobSide, 1},
	"devcluster":         {JobSide, 1},
	"driver":             {DriverSide, 1},
	"jobs/history":       {JobSide, 2},
	"devcluster/hosts":   {JobSide, 2},
	"internal/dockerd":   {JobSide, 2},
	"jobs/task":          {JobSide, 2},
	"driver/cgstats":     {DriverSide, 2},
	"jobs":               {JobSide, 3},
	"internal/mountinfo": {JobSide, 4},
	"internal/tail":      {JobSide, 4},
	"storage":            {JobSide, 4},
	"tera":               {JobSide, 4},
	"shuffle":            {JobSide, 4},
	"internal/telemetry": {Shared, 4},
	"contract":           {Shared, 5},
}

// Unlayered are the packages that do not ship, which Layers leaves out:
// test helpers, system tests, tools and deploy, which holds only the
// checks of the deployment files.
var Unlayered = append(append([]string{"deploy"}, TestHelpers...), Tools...)

// CheckLayers returns a line for every package that ships without a
// place in layers, every place for a package that is gone, and every
// direct import that goes up a row or across the sides.
func CheckLayers(pkgs []Package, layers map[string]Layer) []string {
	var out []string
	paths := map[string]bool{}
	for _, p := range pkgs {
		paths[p.Path] = true
		if MatchAny(Unlayered, p.Path) {
			continue
		}
		from, ok := layers[p.Path]
		if !ok {
			out = append(out, fmt.Sprintf("package %s has no place in Layers (internal/importrules/layers.go): "+
				"add it with its side and row, and to the picture in docs/architecture.md", p.Path))
			continue
		}
		for _, imp := range p.Imports {
			to, ok := layers[imp]
			if !ok || MatchAny(Unlayered, imp) {
				continue // reported as a package of its own, or by Rules
			}
			if to.Row <= from.Row || (to.Side != from.Side && to.Side != Shared) {
				out = append(out, fmt.Sprintf("%s (%s side, row %d) imports %s (%s side, row %d): a package imports only "+
					"lower rows of its own side and the shared packages (docs/architecture.md, Import directions)",
					p.Path, from.Side, from.Row, imp, to.Side, to.Row))
			}
		}
	}
	for path := range layers {
		if !paths[path] {
			out = append(out, fmt.Sprintf("Layers places %s, which is no package: remove it from internal/importrules/layers.go", path))
		}
	}
	slices.Sort(out)
	return out
}
