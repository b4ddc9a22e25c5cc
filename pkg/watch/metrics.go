package watch

import (
	"encoding/json"
	"net/http"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tykportal/tykportal/pkg/catalog"
)

// Metrics are watch's Prometheus metrics and health state, on a registry
// of their own (not the process-global default).
type Metrics struct {
	registry    *prometheus.Registry
	syncs       *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	items       *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
	deferred    *prometheus.CounterVec
	syncedHere  *prometheus.GaugeVec

	instance string
	mu       gosync.Mutex
	last     map[string]string    // provider → status of its last sync here
	owners   map[string]Ownership // provider → who synced it last, as far as this instance saw
}

// Ownership is what /healthz says of a provider shared with other instances.
type Ownership struct {
	LastSyncBy string    `json:"last_sync_by"` // the instance that ran its last sync
	LastSyncAt time.Time `json:"last_sync_at"`
	SyncedHere bool      `json:"synced_here"` // this instance ran it
	LockWaits  int       `json:"lock_waits"`  // times it found another instance syncing it
}

// NewMetrics creates the metrics of the watch instance named instance.
func NewMetrics(instance string) *Metrics {
	m := &Metrics{
		instance: instance,
		owners:   map[string]Ownership{},
		deferred: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tykportal_sync_deferred_total", Help: "Syncs left to another instance: reason busy (it was syncing the provider) or fresh (it had just synced it).",
		}, []string{"provider", "reason"}),
		syncedHere: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tykportal_provider_synced_here", Help: "1 when this instance ran the provider's last sync, 0 when another did.",
		}, []string{"provider"}),
		registry: prometheus.NewRegistry(),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tykportal_syncs_total", Help: "Provider syncs by outcome.",
		}, []string{"provider", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tykportal_sync_duration_seconds", Help: "Duration of provider syncs.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}, []string{"provider"}),
		items: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tykportal_catalog_items", Help: "Products and plans by provider, kind and state: published, unpublished (both visible) or hidden; the states do not overlap.",
		}, []string{"provider", "kind", "state"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tykportal_last_success_timestamp_seconds", Help: "Unix time of the provider's last successful sync.",
		}, []string{"provider"}),
		last: map[string]string{},
	}
	m.registry.MustRegister(m.syncs, m.duration, m.items, m.lastSuccess, m.deferred, m.syncedHere)
	return m
}

// Observe records one sync result.
func (m *Metrics) Observe(r catalog.SyncResult) {
	m.syncs.WithLabelValues(r.Provider, r.Status).Inc()
	m.duration.WithLabelValues(r.Provider).Observe(float64(r.DurationMS) / 1000)
	if r.Status == catalog.SyncOK {
		m.lastSuccess.WithLabelValues(r.Provider).Set(float64(r.StartedAt.Add(time.Duration(r.DurationMS) * time.Millisecond).Unix()))
	}
	m.mu.Lock()
	m.last[r.Provider] = r.Status
	if r.Status == catalog.SyncOK {
		o := m.owners[r.Provider]
		o.LastSyncBy, o.LastSyncAt, o.SyncedHere = r.Instance, r.StartedAt, true
		m.owners[r.Provider] = o
		m.syncedHere.WithLabelValues(r.Provider).Set(1)
	}
	m.mu.Unlock()
}

// ObserveDeferred records a sync left to another instance.
func (m *Metrics) ObserveDeferred(r catalog.SyncResult) {
	m.deferred.WithLabelValues(r.Provider, r.Deferred).Inc()
	m.mu.Lock()
	defer m.mu.Unlock()
	o := m.owners[r.Provider]
	switch r.Deferred {
	case catalog.DeferredBusy:
		o.LockWaits++
	case catalog.DeferredFresh:
		if r.Instance != m.instance {
			o.LastSyncBy, o.LastSyncAt, o.SyncedHere = r.Instance, r.StartedAt, false
			m.syncedHere.WithLabelValues(r.Provider).Set(0)
		}
	}
	m.owners[r.Provider] = o
}

// CatalogCounts are one kind's items of a provider by state. The states do
// not overlap, so their sum is the number of items: published (visible and
// published), unpublished (visible, not published), hidden.
type CatalogCounts struct{ Published, Unpublished, Hidden int }

// Count adds one item in its state.
func (c *CatalogCounts) Count(hidden, published bool) {
	switch {
	case hidden:
		c.Hidden++
	case published:
		c.Published++
	default:
		c.Unpublished++
	}
}

// Catalogue item states, the values of tykportal_catalog_items' state label.
const (
	StatePublished   = "published"
	StateUnpublished = "unpublished"
	StateHidden      = "hidden"
)

// SetCatalog sets the catalogue gauges of a provider.
func (m *Metrics) SetCatalog(provider string, products, plans CatalogCounts) {
	for kind, c := range map[string]CatalogCounts{catalog.KindProduct: products, catalog.KindPlan: plans} {
		m.items.WithLabelValues(provider, kind, StatePublished).Set(float64(c.Published))
		m.items.WithLabelValues(provider, kind, StateUnpublished).Set(float64(c.Unpublished))
		m.items.WithLabelValues(provider, kind, StateHidden).Set(float64(c.Hidden))
	}
}

// Handler serves /metrics and /healthz: 200 while the loop is alive, 503
// when every provider's last sync failed.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		owners := make(map[string]Ownership, len(m.owners))
		for k, v := range m.owners {
			owners[k] = v
		}
		last := make(map[string]string, len(m.last))
		failed := 0
		for k, v := range m.last {
			last[k] = v
			if v == catalog.SyncFailed {
				failed++
			}
		}
		m.mu.Unlock()
		status, code := "ok", http.StatusOK
		if len(last) > 0 && failed == len(last) {
			status, code = "failing", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "providers": last, "instance": m.instance, "owners": owners})
	})
	return mux
}
