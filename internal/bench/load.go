package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is what a load run measured.
type loadResult struct {
	Sent, Failed int
	Rate         float64 // answered requests per second
	P50, P99     time.Duration
}

// request makes the i-th request of a run.
type request func(i int) (*http.Request, error)

// load sends requests on loopback, bounded in count and time. With rate
// > 0 it offers that many per second (open loop, latency measured from
// the scheduled send time, so queueing counts); with rate 0 it runs
// workers back to back (closed loop) to find the sustained rate.
func load(ctx context.Context, client *http.Client, newRequest request, rate float64, workers int, d time.Duration) loadResult {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failed    atomic.Int64
		next      atomic.Int64
		wg        sync.WaitGroup
	)
	send := func(i int, scheduled time.Time) {
		req, err := newRequest(i)
		if err == nil {
			var resp *http.Response
			if resp, err = client.Do(req.WithContext(ctx)); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}
		if err != nil {
			failed.Add(1)
			return
		}
		lat := time.Since(scheduled)
		mu.Lock()
		latencies = append(latencies, lat)
		mu.Unlock()
	}
	start := time.Now()
	end := start.Add(d)
	if rate > 0 {
		interval := time.Duration(float64(time.Second) / rate)
		sem := make(chan struct{}, workers)
		for i := 0; ; i++ {
			at := start.Add(time.Duration(i) * interval)
			if at.After(end) || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Until(at))
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				send(i, at)
			}()
		}
	} else {
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) && ctx.Err() == nil {
					send(int(next.Add(1)), time.Now())
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	r := loadResult{Sent: len(latencies) + int(failed.Load()), Failed: int(failed.Load()),
		Rate: float64(len(latencies)) / elapsed.Seconds()}
	r.P50, r.P99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
	return r
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func post(url string, header map[string]string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req, nil
}
