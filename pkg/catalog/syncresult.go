package catalog

import "time"

// Sync outcomes.
const (
	SyncOK     = "ok"
	SyncFailed = "failed"
)

// Change actions of a sync result.
const (
	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionHide    = "hide"
	ActionRestore = "restore"
)

// SyncResult is the outcome of one provider's sync, as `sync -o json` prints
// it and as the provider records it (last_sync) and the history keeps it.
type SyncResult struct {
	Provider        string        `json:"provider"`
	Status          string        `json:"status"` // "ok" or "failed"
	Error           string        `json:"error"`  // "" when ok
	DryRun          bool          `json:"dry_run"`
	StartedAt       time.Time     `json:"started_at"`
	DurationMS      int64         `json:"duration_ms"`
	PoliciesFetched int           `json:"policies_fetched"`
	PoliciesMatched int           `json:"policies_matched"`
	Products        ChangeCounts  `json:"products"`
	Plans           ChangeCounts  `json:"plans"`
	Skipped         []SkippedItem `json:"skipped"`
	Changes         []Change      `json:"changes"`
	// Instance is the host/instance that ran the sync; results recorded
	// before it was kept have none.
	Instance string `json:"instance,omitzero"`
	// Deferred is set when this instance left the provider alone: "busy"
	// (another instance holds its sync lease) or "fresh" (another instance
	// synced it within the interval). Never stored or printed as a field.
	Deferred string `json:"-"`
}

// Reasons a sync was deferred.
const (
	DeferredBusy  = "busy"
	DeferredFresh = "fresh"
)

// ChangeCounts counts one kind's changes in a sync.
type ChangeCounts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Hidden    int `json:"hidden"`
	Restored  int `json:"restored"`
	Unchanged int `json:"unchanged"`
}

// SkippedItem is a retrieved policy that became neither a Product nor a Plan.
type SkippedItem struct {
	PolicyID string `json:"policy_id"`
	Name     string `json:"name"`
	Reason   string `json:"reason"`
}

// Change is one product or plan a sync creates, updates, hides or restores.
// ID is nil for a create in a dry run.
type Change struct {
	Action   string  `json:"action"`
	Kind     string  `json:"kind"`
	ID       *uint64 `json:"id"`
	PolicyID string  `json:"policy_id"`
	Name     string  `json:"name"`
	// Fields are, for an update or a restore, the Dashboard-owned fields
	// that changed, each with its value before and after; absent for the
	// other actions and in results recorded before it was kept.
	Fields []FieldChange `json:"fields,omitzero"`
}

// FieldChange is one field a change sets: its old and its new value.
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}
