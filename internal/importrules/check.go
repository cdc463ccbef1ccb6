package importrules

import (
	"fmt"
	"slices"
	"strings"
)

// Package is what the rules need of one of the module's packages, every
// path relative to the module.
type Package struct {
	// Path is the package's path in the module ("jobs/local").
	Path string
	// Imports are the module's packages its own code imports directly;
	// Deps those it imports directly or not.
	Imports, Deps []string
	// TestImports are the packages its tests import directly: the
	// module's, relative, and those of other modules, whole ("github.com/
	// docker/docker/client"); the standard library's are left out.
	TestImports []string
}

// Violation is one import that breaks a rule.
type Violation struct {
	Rule   Rule
	From   string
	Import string
}

func (v Violation) String() string {
	what := "imports"
	if v.Rule.Tests {
		what = "has tests that import"
	}
	return fmt.Sprintf("%s %s %s, which breaks %q: %s", v.From, what, v.Import, v.Rule.Name, v.Rule.Why)
}

// Match reports whether path is pattern or, for a pattern ending in
// "/...", below it; "..." matches every package of the module.
func Match(pattern, path string) bool {
	if pattern == "..." {
		return !external(path)
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

// external reports whether path is a whole import path of another
// module: its first element is a domain name.
func external(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return strings.Contains(first, ".")
}

// MatchAny reports whether any of patterns matches path.
func MatchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return Match(p, path) })
}

// binds reports whether the rule binds the package at path.
func (r Rule) binds(path string) bool {
	return MatchAny(r.From, path) && !MatchAny(r.Except, path)
}

// denies reports whether the rule forbids importing the package at path.
func (r Rule) denies(path string) bool {
	return MatchAny(r.Deny, path) && !MatchAny(r.Allow, path)
}

// Check returns every import of pkgs that breaks one of rules.
func Check(pkgs []Package, rules []Rule) []Violation {
	var out []Violation
	for _, r := range rules {
		for _, p := range pkgs {
			if !r.binds(p.Path) {
				continue
			}
			imports := p.Deps
			if r.Tests {
				imports = p.TestImports
			}
			for _, imp := range imports {
				if imp != p.Path && r.denies(imp) {
					out = append(out, Violation{Rule: r, From: p.Path, Import: imp})
				}
			}
		}
	}
	return out
}

// Vacuous returns a line for each pattern of a rule's From, Except, Deny
// or Allow that matches no package, so that a rename cannot leave a rule
// that binds nothing.
func Vacuous(pkgs []Package, rules []Rule) []string {
	var out []string
	for _, r := range rules {
		for field, patterns := range map[string][]string{"From": r.From, "Except": r.Except, "Deny": r.Deny, "Allow": r.Allow} {
			for _, pat := range patterns {
				if external(pat) {
					continue // another module's package, which go list of this one does not show
				}
				if !slices.ContainsFunc(pkgs, func(p Package) bool { return Match(pat, p.Path) }) {
					out = append(out, fmt.Sprintf("rule %q: %s pattern %q matches no package", r.Name, field, pat))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}
