package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// A telemetry setting dockmr cannot honour is a usage error naming the
// variable, the value and what is accepted.
func TestTelemetryBadSettings(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "jaeger")
	fails(t, 2, []string{`OTEL_TRACES_EXPORTER="jaeger"`, "want otlp, console or none"}, "list")
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")
	fails(t, 2, []string{`OTEL_EXPORTER_OTLP_PROTOCOL="thrift"`, "http/protobuf"}, "list")
}

// Console spans go to stderr, one JSON object a line, and leave the
// result on stdout as it is.
func TestTelemetryConsole(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "console")
	r := ok(t, "teragen", "--local", "--json", "1000", filepath.Join(t.TempDir(), "out"))
	var res map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout is not the JSON result: %v\n%s", err, r.stdout)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var span struct{ Name string }
		if err := json.Unmarshal([]byte(line), &span); err == nil {
			names = append(names, span.Name)
		}
	}
	for _, want := range []string{"job teragen", "phase map", "job commit"} {
		if !strings.Contains(strings.Join(names, ","), want) {
			t.Errorf("no %q span on stderr; spans %q:\n%s", want, names, r.stderr)
		}
	}
}
