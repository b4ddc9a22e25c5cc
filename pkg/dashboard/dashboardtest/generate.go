package dashboardtest

import "fmt"

// Generate adds nAPIs APIs and nPolicies policies to an org, a realistic mix
// for benchmarks: about 60% access policies (ACL only, one to three APIs of
// one auth method), 35% limit policies, 5% others (monolithic, per-API);
// most carry the tag "portal". The same seed gives the same data.
func (s *Sim) Generate(orgID string, nPolicies, nAPIs int, seed int64) {
	s.AddOrg(orgID)
	auths := []string{"use_standard_auth", "use_standard_auth", "use_standard_auth", "enable_jwt", "use_oauth2", "use_basic_auth"}
	byAuth := map[string][]string{}
	for i := 0; i < nAPIs; i++ {
		flag := auths[(i+int(seed))%len(auths)]
		apiID := fmt.Sprintf("gen%08dapi%06d", seed, i)
		s.AddAPI(orgID, map[string]any{
			"api_id": apiID, "name": fmt.Sprintf("Generated API %d", i), flag: true,
			"proxy": map[string]any{"listen_path": fmt.Sprintf("/gen/%d/", i), "target_url": "http://upstream.invalid"},
		})
		byAuth[flag] = append(byAuth[flag], apiID)
	}
	pick := byAuth["use_standard_auth"]
	for i := 0; i < nPolicies; i++ {
		r := (i*7919 + int(seed)) % 100
		tags := []any{"portal"}
		if r%10 == 9 {
			tags = []any{"internal"}
		}
		pol := map[string]any{
			"name": fmt.Sprintf("generated-%d", i), "active": true, "is_inactive": false, "state": "active",
			"tags": tags, "meta_data": map[string]any{"generated": true},
			"rate": -1, "per": -1, "quota_max": -1, "quota_renewal_rate": -1,
			"throttle_interval": -1, "throttle_retry_limit": -1, "key_expires_in": 0,
			"access_rights": map[string]any{},
		}
		switch {
		case r < 60 && len(pick) > 0:
			ar := map[string]any{}
			for j := 0; j < 1+r%3; j++ {
				id := pick[(i+j*31)%len(pick)]
				ar[id] = map[string]any{"api_id": id, "api_name": id, "versions": []any{"Default"}, "allowed_urls": []any{}, "limit": nil}
			}
			pol["access_rights"] = ar
			pol["partitions"] = map[string]any{"acl": true, "quota": false, "rate_limit": false, "complexity": false, "per_api": false}
		case r < 95:
			pol["rate"], pol["per"] = float64(10+r), 60.0
			pol["quota_max"], pol["quota_renewal_rate"] = 1000*(r+1), 3600
			pol["partitions"] = map[string]any{"acl": false, "quota": true, "rate_limit": true, "complexity": false, "per_api": false}
		default:
			pol["partitions"] = map[string]any{"acl": true, "quota": true, "rate_limit": true, "complexity": false, "per_api": false}
		}
		s.AddPolicy(orgID, pol)
	}
}
