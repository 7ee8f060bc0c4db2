// Package metrics defines SecBot's Prometheus metrics.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the collectors of one process; each process registers all of
// them so dashboards see every series, at zero where a process has none.
type Metrics struct {
	Registry *prometheus.Registry
	// HooksTotal counts webhooks by event type and outcome (accepted,
	// duplicate, ignored, no_job, forbidden, invalid, too_large, error).
	HooksTotal   *prometheus.CounterVec
	HookDuration prometheus.Histogram
	// TasksTotal counts finished task runs by kind and outcome (done,
	// retry, failed).
	TasksTotal   *prometheus.CounterVec
	TaskDuration *prometheus.HistogramVec
	// TasksRequeued counts tasks the sweeper handed to the queue again.
	TasksRequeued prometheus.Counter
	// CheckRequests counts pipeline-gate answers by status.
	CheckRequests *prometheus.CounterVec
	// GateWaits is the number of pipeline-gate requests held open by
	// ?wait= right now.
	GateWaits prometheus.Gauge
	// PushProtectionEvents counts the pre-receive hook's reports by kind
	// (refused, bypassed, not_scanned) and reason.
	PushProtectionEvents *prometheus.CounterVec
}

// New creates and registers the collectors, with Go and process metrics.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HooksTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secbot_hooks_total", Help: "GitLab webhooks received, by event and outcome.",
		}, []string{"event", "outcome"}),
		HookDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "secbot_hook_duration_seconds", Help: "Time to answer a GitLab webhook.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		TasksTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secbot_tasks_total", Help: "Task runs, by kind and outcome.",
		}, []string{"kind", "outcome"}),
		TaskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "secbot_task_duration_seconds", Help: "Time a task run took, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12),
		}, []string{"kind"}),
		TasksRequeued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "secbot_tasks_requeued_total", Help: "Tasks the sweeper enqueued again after Redis lost or never got them.",
		}),
		CheckRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secbot_check_requests_total", Help: "Pipeline-gate status answers, by status.",
		}, []string{"status"}),
		GateWaits: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "secbot_gate_waits", Help: "Pipeline-gate requests held open by ?wait= now.",
		}),
		PushProtectionEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "secbot_push_protection_events_total", Help: "Pushes the pre-receive hook reported, by kind (refused, bypassed, not_scanned) and reason.",
		}, []string{"kind", "reason"}),
	}
	m.Registry.MustRegister(m.HooksTotal, m.HookDuration, m.TasksTotal, m.TaskDuration, m.TasksRequeued, m.CheckRequests,
		m.GateWaits, m.PushProtectionEvents,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
