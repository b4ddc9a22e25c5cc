package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/output"
)

// How catalogue records look in tables: shared by every command that
// prints them.

func itemState(published, hidden, placeholder bool) string {
	var s []string
	switch {
	case hidden:
		s = append(s, "hidden")
	case published:
		s = append(s, "published")
	default:
		s = append(s, "unpublished")
	}
	if placeholder {
		s = append(s, "placeholder")
	}
	return strings.Join(s, ",")
}

func productTable(p catalog.Product) output.Table {
	apis := make([]string, 0, len(p.APIs))
	for _, api := range p.APIs {
		apis = append(apis, api.APIID+" ("+api.Name+")")
	}
	return output.Table{KeyValue: true, Rows: [][]string{
		{"ID", fmt.Sprint(p.ID)}, {"Provider", p.Provider}, {"Policy ID", p.PolicyID},
		{"Name", p.Name}, {"Display name", dash(p.DisplayName)}, {"Description", dash(p.Description)},
		{"State", itemState(p.Published, p.Hidden, p.Placeholder)}, {"Hidden since", timeOrNever(p.HiddenSince)},
		{"Auth type", dash(p.AuthType)}, {"APIs", dash(strings.Join(apis, ", "))},
		{"Created", p.CreatedAt.UTC().Format(time.RFC3339)}, {"Updated", p.UpdatedAt.UTC().Format(time.RFC3339)},
		{"Last synced", timeOrNever(p.LastSyncedAt)},
	}}
}

func planTable(p catalog.Plan) output.Table {
	throttle := "off"
	if p.ThrottleInterval > 0 {
		throttle = fmt.Sprintf("every %gs, %d retries", p.ThrottleInterval, p.ThrottleRetryLimit)
	}
	return output.Table{KeyValue: true, Rows: [][]string{
		{"ID", fmt.Sprint(p.ID)}, {"Provider", p.Provider}, {"Policy ID", p.PolicyID},
		{"Name", p.Name}, {"Display name", dash(p.DisplayName)}, {"Description", dash(p.Description)},
		{"State", itemState(p.Published, p.Hidden, p.Placeholder)}, {"Hidden since", timeOrNever(p.HiddenSince)},
		{"Rate", rateText(p.Rate, p.Per)}, {"Quota", quotaText(p.QuotaMax, p.QuotaRenewalRate)},
		{"Throttle", throttle}, {"Key expiry", expiryText(p.KeyExpiresIn)},
		{"Created", p.CreatedAt.UTC().Format(time.RFC3339)}, {"Updated", p.UpdatedAt.UTC().Format(time.RFC3339)},
		{"Last synced", timeOrNever(p.LastSyncedAt)},
	}}
}

func rateText(rate, per float64) string {
	if rate < 0 || per < 0 {
		return "unlimited"
	}
	if rate == 0 {
		return "-"
	}
	return fmt.Sprintf("%g / %s", rate, secondsText(per))
}

func quotaText(max, renewal int64) string {
	if max < 0 {
		return "unlimited"
	}
	if max == 0 {
		return "-"
	}
	return fmt.Sprintf("%d / %s", max, secondsText(float64(renewal)))
}

func expiryText(s int64) string {
	if s <= 0 {
		return "never"
	}
	return secondsText(float64(s))
}

// secondsText writes a period in seconds in the largest units that divide
// it, as a person says it: 2592000 → "30d", 5400 → "1h30m", 90 → "1m30s",
// 1.5 → "1.5s". Tyk's fields are seconds; 720h0m0s is nobody's word.
func secondsText(s float64) string {
	if s != float64(int64(s)) || s < 1 {
		return fmt.Sprintf("%gs", s)
	}
	n := int64(s)
	var b strings.Builder
	for _, u := range []struct {
		name string
		size int64
	}{{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}} {
		if n >= u.size {
			fmt.Fprintf(&b, "%d%s", n/u.size, u.name)
			n %= u.size
		}
	}
	return b.String()
}

// plural is "1 placeholder", "2 placeholders".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func timeOrNever(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func expiresText(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
