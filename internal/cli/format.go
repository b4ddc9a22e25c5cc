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
	return fmt.Sprintf("%g / %gs", rate, per)
}

func quotaText(max, renewal int64) string {
	if max < 0 {
		return "unlimited"
	}
	if max == 0 {
		return "-"
	}
	return fmt.Sprintf("%d / %ds", max, renewal)
}

func expiryText(s int64) string {
	if s <= 0 {
		return "never"
	}
	return (time.Duration(s) * time.Second).String()
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
