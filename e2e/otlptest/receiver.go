// Package otlptest is a real OTLP/HTTP receiver for end-to-end tests: an
// HTTP server on the loopback interface that decodes the protobuf bodies
// of /v1/traces and /v1/metrics, as an OpenTelemetry collector would, and
// keeps what it received for the test to inspect.
package otlptest

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	metricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one received span, flattened.
type Span struct {
	Service  string // the resource's service.name
	TraceID  string
	SpanID   string
	ParentID string // empty for a root span
	Name     string
	Start    time.Time
	End      time.Time
	// Attrs holds the attributes, values in their string form.
	Attrs map[string]string
	// Error is set when the span's status is an error.
	Error bool
}

// Metric is one received metric data set.
type Metric struct {
	Service string
	Name    string
	// Points counts the data points of this export.
	Points int
}

// Receiver is a running OTLP/HTTP receiver.
type Receiver struct {
	srv  *http.Server
	addr string

	mu      sync.Mutex
	spans   []Span
	metrics []Metric
	errs    []error
}

// Start starts a receiver on a free port of 127.0.0.1.
func Start() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for OTLP: %w", err)
	}
	r := &Receiver{addr: ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.traces)
	mux.HandleFunc("POST /v1/metrics", r.metricsHandler)
	mux.HandleFunc("POST /v1/logs", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }() // ends with ErrServerClosed on Close
	return r, nil
}

// Endpoint is the base URL to give OTEL_EXPORTER_OTLP_ENDPOINT.
func (r *Receiver) Endpoint() string { return "http://" + r.addr }

// Close stops the receiver.
func (r *Receiver) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.srv.Shutdown(ctx)
}

// Spans returns the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Metrics returns the metrics received so far.
func (r *Receiver) Metrics() []Metric {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Metric(nil), r.metrics...)
}

// Err returns the errors of the requests the receiver could not decode.
func (r *Receiver) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return errors.Join(r.errs...)
}

func (r *Receiver) traces(w http.ResponseWriter, req *http.Request) {
	var msg tracepb.ExportTraceServiceRequest
	if !r.decode(w, req, &msg) {
		return
	}
	var spans []Span
	for _, rs := range msg.ResourceSpans {
		service := serviceOf(rs.Resource)
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				spans = append(spans, Span{
					Service:  service,
					TraceID:  hex.EncodeToString(s.TraceId),
					SpanID:   hex.EncodeToString(s.SpanId),
					ParentID: hex.EncodeToString(s.ParentSpanId),
					Name:     s.Name,
					Start:    time.Unix(0, int64(s.StartTimeUnixNano)),
					End:      time.Unix(0, int64(s.EndTimeUnixNano)),
					Attrs:    attrMap(s.Attributes),
					Error:    s.Status != nil && s.Status.Code == 2, // STATUS_CODE_ERROR
				})
			}
		}
	}
	r.mu.Lock()
	r.spans = append(r.spans, spans...)
	r.mu.Unlock()
	r.reply(w, &tracepb.ExportTraceServiceResponse{})
}

func (r *Receiver) metricsHandler(w http.ResponseWriter, req *http.Request) {
	var msg metricspb.ExportMetricsServiceRequest
	if !r.decode(w, req, &msg) {
		return
	}
	var metrics []Metric
	for _, rm := range msg.ResourceMetrics {
		service := serviceOf(rm.Resource)
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				n := len(m.GetHistogram().GetDataPoints()) + len(m.GetGauge().GetDataPoints()) + len(m.GetSum().GetDataPoints())
				metrics = append(metrics, Metric{Service: service, Name: m.Name, Points: n})
			}
		}
	}
	r.mu.Lock()
	r.metrics = append(r.metrics, metrics...)
	r.mu.Unlock()
	r.reply(w, &metricspb.ExportMetricsServiceResponse{})
}

// decode reads a protobuf request body, gzip-compressed or not.
func (r *Receiver) decode(w http.ResponseWriter, req *http.Request, msg proto.Message) bool {
	body := io.Reader(req.Body)
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			r.fail(w, fmt.Errorf("%s: gzip: %w", req.URL.Path, err))
			return false
		}
		defer gz.Close()
		body = gz
	}
	b, err := io.ReadAll(body)
	if err == nil && req.Header.Get("Content-Type") != "application/x-protobuf" {
		err = fmt.Errorf("content type %q, want application/x-protobuf", req.Header.Get("Content-Type"))
	}
	if err == nil {
		err = proto.Unmarshal(b, msg)
	}
	if err != nil {
		r.fail(w, fmt.Errorf("%s: %w", req.URL.Path, err))
		return false
	}
	return true
}

func (r *Receiver) fail(w http.ResponseWriter, err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
	http.Error(w, err.Error(), http.StatusBadRequest)
}

func (r *Receiver) reply(w http.ResponseWriter, msg proto.Message) {
	b, _ := proto.Marshal(msg)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b) // a sender that hung up gets no reply
}

func serviceOf(res *resourcepb.Resource) string {
	return attrMap(res.GetAttributes())["service.name"]
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = valueString(kv.Value)
	}
	return m
}

func valueString(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	}
	return v.String()
}
