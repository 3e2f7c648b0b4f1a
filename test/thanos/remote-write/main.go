// A Prometheus remote-write client for the real-Thanos tests. It reads the `remote_write:` block that
// `thanos-gitops tenant-config` prints, unchanged (strict YAML: an unknown key fails), builds its HTTP client with
// prometheus/common's config package (the code Prometheus uses for remote_write's tls_config: certificate and key
// files are re-read when they change, the CA file too), and sends one sample of each of --series series per interval
// (one request, as one Prometheus shard batches them), encoded with prometheus/prompb and snappy as Prometheus does.
//
// Like Prometheus's queue manager it retries recoverable failures (network errors and 5xx) with a backoff from
// 30 ms to 5 s and drops a write on any other status. It stops at EOF on stdin or SIGTERM and prints one JSON line
// per write on stdout: {"seq","ts","accepted","attempts","status","error","firstStatus","firstError"}: a write whose
// first attempt failed and a later one succeeded is accepted with attempts > 1.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/golang/snappy"
	"github.com/prometheus/common/config"
	"github.com/prometheus/prometheus/prompb"
	"go.yaml.in/yaml/v2"
)

type remoteWrite struct {
	URL              string            `yaml:"url"`
	Headers          map[string]string `yaml:"headers,omitempty"`
	HTTPClientConfig config.HTTPClientConfig `yaml:",inline"`
}

type configFile struct {
	RemoteWrite []remoteWrite `yaml:"remote_write"`
}

type result struct {
	Seq      int64  `json:"seq"`
	Ts       int64  `json:"ts"`
	Accepted bool   `json:"accepted"`
	Attempts int    `json:"attempts"`
	Status   int    `json:"status"`
	Error    string `json:"error,omitempty"`
	// The first failed attempt's HTTP status (0: no response) and reason, when the write needed retries.
	FirstStatus int    `json:"firstStatus,omitempty"`
	FirstError  string `json:"firstError,omitempty"`
	DoneAt      int64  `json:"doneAt"`
}

func main() {
	configPath := flag.String("config", "", "file with a Prometheus remote_write: block (the first entry is used)")
	interval := flag.Duration("interval", 50*time.Millisecond, "time between writes")
	metric := flag.String("metric", "thanos_gitops_e2e_write", "metric name")
	writer := flag.String("writer", "client", "value of the writer label")
	giveUp := flag.Duration("give-up", 2*time.Minute, "drop a write that still fails after retrying this long")
	count := flag.Int64("count", 0, "stop after this many writes (0: until stdin closes or SIGTERM)")
	series := flag.Int("series", 1, "series per write, told apart by a series label (none when 1)")
	flag.Parse()

	raw, err := os.ReadFile(*configPath)
	if err != nil {
		fatal("read --config: %v", err)
	}
	var file configFile
	if err := yaml.UnmarshalStrict(raw, &file); err != nil {
		fatal("%s: %v", *configPath, err)
	}
	if len(file.RemoteWrite) == 0 {
		fatal("%s: no remote_write entries", *configPath)
	}
	entry := file.RemoteWrite[0]
	if err := entry.HTTPClientConfig.Validate(); err != nil {
		fatal("%s: %v", *configPath, err)
	}
	client, err := config.NewClientFromConfig(entry.HTTPClientConfig, "remote_write")
	if err != nil {
		fatal("%s: %v", *configPath, err)
	}
	client.Timeout = 10 * time.Second

	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-signals; cancel() }()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()

	out := bufio.NewWriter(os.Stdout)
	var outMu sync.Mutex
	emit := func(r result) {
		line, _ := json.Marshal(r)
		outMu.Lock()
		out.Write(append(line, '\n'))
		out.Flush()
		outMu.Unlock()
	}

	// Writes go out one at a time, in order, as a single Prometheus shard sends them: a retried write delays the
	// next, so timestamps stay increasing for the receiver's TSDB.
	ticker := time.NewTicker(*interval)
	defer ticker.Stop()
	var lastTs int64
	for seq := int64(1); *count == 0 || seq <= *count; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		ts := time.Now().UnixMilli()
		if ts <= lastTs {
			ts = lastTs + 1
		}
		lastTs = ts
		emit(send(client, entry, *metric, *writer, *series, seq, ts, *giveUp))
	}
}

func send(client *http.Client, entry remoteWrite, metric, writer string, series int, seq, ts int64, giveUp time.Duration) result {
	request := &prompb.WriteRequest{}
	for i := 0; i < series; i++ {
		labels := []prompb.Label{{Name: "__name__", Value: metric}}
		if series > 1 {
			labels = append(labels, prompb.Label{Name: "series", Value: fmt.Sprintf("%03d", i)})
		}
		labels = append(labels, prompb.Label{Name: "writer", Value: writer})
		request.Timeseries = append(request.Timeseries, prompb.TimeSeries{Labels: labels, Samples: []prompb.Sample{{Value: float64(seq), Timestamp: ts}}})
	}
	body, err := request.Marshal()
	if err != nil {
		fatal("marshal: %v", err)
	}
	compressed := snappy.Encode(nil, body)
	deadline := time.Now().Add(giveUp)
	backoff := 30 * time.Millisecond
	r := result{Seq: seq, Ts: ts}
	for {
		r.Attempts++
		status, err := post(client, entry, compressed)
		r.Status = status
		switch {
		case err == nil && status/100 == 2:
			r.Accepted = true
			r.Error = ""
			r.DoneAt = time.Now().UnixMilli()
			return r
		case err != nil:
			r.Error = err.Error()
		default:
			r.Error = fmt.Sprintf("HTTP %d", status)
		}
		if r.Attempts == 1 {
			r.FirstStatus = status
			r.FirstError = r.Error
		}
		recoverable := err != nil || status/100 == 5
		if !recoverable || time.Now().After(deadline) {
			r.DoneAt = time.Now().UnixMilli()
			return r
		}
		time.Sleep(backoff)
		backoff *= 2
		if backoff > 5*time.Second {
			backoff = 5 * time.Second
		}
	}
}

func post(client *http.Client, entry remoteWrite, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, entry.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for name, value := range entry.Headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("User-Agent", "thanos-gitops-e2e-remote-write")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	message, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(message))
	}
	return resp.StatusCode, nil
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "remote-write: "+format+"\n", args...)
	os.Exit(2)
}
