package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// sink accepts Loki pushes and OTLP/HTTP log exports and discards them, counting requests
// and body bytes. Reading every body keeps the exporters' connections reusable.
type sink struct {
	lokiRequests, otlpRequests, bytes atomic.Int64
}

// sinkStats is the body of GET /stats.
type sinkStats struct {
	Requests     int64 `json:"requests"`
	LokiRequests int64 `json:"loki_requests"`
	OTLPRequests int64 `json:"otlp_requests"`
	Bytes        int64 `json:"bytes"`
}

func (s *sink) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /loki/api/v1/push", func(w http.ResponseWriter, r *http.Request) {
		s.discard(r)
		s.lokiRequests.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /v1/logs", func(w http.ResponseWriter, r *http.Request) {
		s.discard(r)
		s.otlpRequests.Add(1)
		// An empty ExportLogsServiceResponse marshals to zero bytes.
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		l, o := s.lokiRequests.Load(), s.otlpRequests.Load()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(sinkStats{Requests: l + o, LokiRequests: l, OTLPRequests: o, Bytes: s.bytes.Load()})
	})
	return mux
}

func (s *sink) discard(r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	s.bytes.Add(n)
}

// runSink serves until ctx is done or lifetime has passed, whichever comes first.
func runSink(ctx context.Context, addr string, lifetime time.Duration) error {
	addr, err := loopbackAddr(addr)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	srv := &http.Server{Handler: new(sink).handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, lifetime)
	defer cancel()
	go func() {
		<-ctx.Done()
		shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = srv.Shutdown(shutdownCtx)
	}()
	fmt.Fprintf(os.Stderr, "benchload: sink on http://%s\n", l.Addr())
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sink: %w", err)
	}
	return nil
}
