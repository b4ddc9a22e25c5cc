package portal

import (
	"context"
	"fmt"
	"strings"

	"github.com/tykportal/tykportal/pkg/catalog"
	tpsync "github.com/tykportal/tykportal/pkg/sync"
)

// skipWords says each skip reason as a count of policies that ...
var skipWords = []struct{ reason, one, many string }{
	{tpsync.ReasonNotPartitioned, "is not partitioned", "are not partitioned"},
	{tpsync.ReasonAccessAndLimits, "combines access and limits", "combine access and limits"},
	{tpsync.ReasonPerAPILimits, "sets limits per API", "set limits per API"},
	{tpsync.ReasonNoAPIs, "grants no API", "grant no API"},
	{tpsync.ReasonMCPProxy, "grants an MCP proxy", "grant an MCP proxy"},
	{tpsync.ReasonInactive, "is inactive", "are inactive"},
	{tpsync.ReasonDuplicateID, "repeats another policy's id", "repeat another policy's id"},
	{tpsync.ReasonOAuthCombined, "is a combined OAuth policy of tykportal's", "are combined OAuth policies of tykportal's"},
}

// NothingImported says, for each provider whose sync succeeded and skipped
// every policy it matched (so its catalogue is empty), why in words, with
// the count per reason and what to change in the Dashboard. A Dashboard
// never set up for a portal is the usual cause: most policies people write
// grant access and set limits in one, unpartitioned.
func (s *Service) NothingImported(ctx context.Context, results []catalog.SyncResult) []string {
	var out []string
	for _, r := range results {
		if r.Status != catalog.SyncOK || len(r.Skipped) == 0 || imported(r.Products) || imported(r.Plans) {
			continue
		}
		count := map[string]int{}
		for _, sk := range r.Skipped {
			count[sk.Reason]++
		}
		var parts []string
		for _, w := range skipWords {
			switch n := count[w.reason]; n {
			case 0:
			case 1:
				parts = append(parts, "1 "+w.one)
			default:
				parts = append(parts, fmt.Sprintf("%d %s", n, w.many))
			}
		}
		tagHint := ""
		if p, err := s.Provider(ctx, r.Provider); err == nil && len(p.PolicyTags) > 0 {
			tagHint = " and carries one of the provider's policy tags (" + strings.Join(p.PolicyTags, ",") + ")"
		}
		out = append(out, fmt.Sprintf("provider %q: none of the %d policies it matched became a product or plan: %s. "+
			"A product is a policy partitioned to access only (the Access Rights partition on, Usage Quota and Rate Limiting off) "+
			"and a plan one partitioned to limits only (Usage Quota and/or Rate Limiting on, Access Rights off); "+
			"tykportal imports a policy that is one of them%s. Partition the policies in the Dashboard (split one that does both into a product and a plan), "+
			"or create products and plans with tykportal; see `tykportal sync -o json` for each skipped policy",
			r.Provider, r.PoliciesMatched, strings.Join(parts, ", "), tagHint))
	}
	return out
}

// imported reports whether a sync left any product or plan of its kind.
func imported(c catalog.ChangeCounts) bool {
	return c.Created+c.Updated+c.Restored+c.Unchanged > 0
}
