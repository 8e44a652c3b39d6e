package auditwebhookreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
)

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestGzipBodies(t *testing.T) {
	sink := &consumertest.LogsSink{}
	srv := startReceiver(t, sink, func(cfg *Config) {
		cfg.Server.MaxRequestBodySize = 4096
		cfg.Okta.Credentials = []Credential{{Secret: "okta-secret-0123456"}}
	})
	body := readTestdata(t, "k8s_eventlist.json")
	resp := srv.post("/webhook/kubernetes", gzipped(t, body), map[string]string{"Content-Encoding": "gzip"})
	require.Equal(t, http.StatusOK, resp.code, string(resp.body))
	assert.Equal(t, 2, sink.LogRecordCount())

	// A small compressed body that inflates beyond the limit is refused like a large one.
	bomb := gzipped(t, bytes.Repeat([]byte(" "), 1<<20))
	require.Less(t, len(bomb), 4096)
	resp = srv.post("/webhook/generic", bomb, map[string]string{"Content-Encoding": "gzip"})
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.code)

	resp = srv.post("/webhook/generic", []byte("not gzip"), map[string]string{"Content-Encoding": "gzip"})
	assert.Equal(t, http.StatusBadRequest, resp.code)
	assert.NotEmpty(t, resp.errorBody(t).Error, "answered in the JSON error shape")
}

// blockingConsumer holds ConsumeLogs until released, to observe a delivery in flight.
type blockingConsumer struct {
	consumertest.LogsSink
	entered chan struct{}
	release chan struct{}
}

func (c *blockingConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.entered <- struct{}{}
	<-c.release
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

func TestDuplicateInFlightGets409(t *testing.T) {
	next := &blockingConsumer{entered: make(chan struct{}), release: make(chan struct{})}
	srv := startReceiver(t, next, nil)
	body := readTestdata(t, "generic_object.json")
	h := map[string]string{headerWebhookID: "msg_inflight"}

	// The first request runs in a goroutine, which must not call require: it reports its
	// status, or 0 on a transport error.
	first := make(chan int, 1)
	go func() {
		req, err := http.NewRequest(http.MethodPost, srv.base+"/webhook/generic", bytes.NewReader(body))
		if err != nil {
			first <- 0
			return
		}
		req.Header.Set(headerWebhookID, "msg_inflight")
		resp, err := srv.client.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	select {
	case <-next.entered:
	case code := <-first:
		require.FailNow(t, "the first request ended before reaching the pipeline", "status %d", code)
	}

	second := srv.post("/webhook/generic", body, h)
	assert.Equal(t, http.StatusConflict, second.code)

	close(next.release)
	assert.Equal(t, http.StatusOK, <-first)
	third := srv.post("/webhook/generic", body, h)
	assert.Equal(t, http.StatusOK, third.code)
	assert.Equal(t, "true", third.header.Get(headerDuplicate))
	assert.Equal(t, 1, next.LogRecordCount())
}
