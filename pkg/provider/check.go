package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tykportal/tykportal/pkg/dashboard"
)

// Check statuses.
const (
	CheckPass = "pass"
	CheckWarn = "warn"
	CheckFail = "fail"
)

// Check is one line of `provider test`.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// Report is the result of `provider test`. OK is false when any check failed;
// warnings do not fail it.
type Report struct {
	Provider string  `json:"provider"`
	OK       bool    `json:"ok"`
	Checks   []Check `json:"checks"`
}

// Permission is a Dashboard RBAC permission the portal user needs.
type Permission struct {
	Key   string // Tyk's permission key, e.g. "policies"
	Level string // "read" or "write"
}

// NeededPermissions are what the Tyk portal asks of its Dashboard user:
// APIs write, Certificates write, Keys write, Policies write, Analytics read,
// Users read.
var NeededPermissions = []Permission{
	{"apis", "write"}, {"certs", "write"}, {"keys", "write"},
	{"policies", "write"}, {"analytics", "read"}, {"users", "read"},
}

// OAuthPermission guards the OAuth client endpoints (/api/apis/oauth/...)
// that credentials of OAuth 2.0 products are created with. The Tyk portal
// does not ask for it, and a provider without OAuth products does not need
// it: lacking it alone is a warning.
var OAuthPermission = Permission{"oauth", "write"}

// Dashboard is what the connection test needs of a Dashboard client.
type Dashboard interface {
	CurrentUser(ctx context.Context) (*dashboard.User, error)
	ListPolicies(ctx context.Context) ([]dashboard.Policy, error)
}

// MatchesTags reports whether a policy with policyTags is retrieved by a
// provider with tags: it carries at least one of them, or the provider has none.
func MatchesTags(providerTags, policyTags []string) bool {
	if len(providerTags) == 0 {
		return true
	}
	for _, t := range policyTags {
		for _, want := range providerTags {
			if t == want {
				return true
			}
		}
	}
	return false
}

// Test checks a provider's connection: reachability, TLS, the secret, the org
// id, the user's permissions and the number of policies matching its tags.
// A check that cannot run because an earlier one failed fails too, and says so.
func Test(ctx context.Context, p Provider, d Dashboard) Report {
	r := Report{Provider: p.Name}
	add := func(name, status, detail string) {
		r.Checks = append(r.Checks, Check{Name: name, Status: status, Detail: detail})
	}
	addTLS := func() {
		status, detail := tlsStatus(p)
		add("tls", status, detail)
	}
	user, err := d.CurrentUser(ctx)
	var userErr error
	switch {
	case err == nil:
	case errors.Is(err, dashboard.ErrTLS):
		add("reachable", CheckPass, "the Dashboard answered the TLS handshake")
		add("tls", CheckFail, err.Error())
		skipRest(add, "tls", "secret", "org", "permissions", "policies_matching_tags")
		return finish(r)
	case errors.Is(err, dashboard.ErrNetwork), errors.Is(err, dashboard.ErrTimeout), errors.Is(err, dashboard.ErrBadResponse):
		add("reachable", CheckFail, err.Error())
		skipRest(add, "reachable", "tls", "secret", "org", "permissions", "policies_matching_tags")
		return finish(r)
	case errors.Is(err, dashboard.ErrUnauthorized):
		add("reachable", CheckPass, "the Dashboard answered")
		addTLS()
		add("secret", CheckFail, "the Dashboard refused the secret (401): check it, then `tykportal provider edit "+p.Name+" --secret-stdin`")
		skipRest(add, "secret", "org", "permissions", "policies_matching_tags")
		return finish(r)
	default:
		// The secret was accepted (not 401), but the user could not be read:
		// e.g. no users permission and no /api/users/me.
		userErr = err
	}
	add("reachable", CheckPass, "the Dashboard answered")
	addTLS()
	secretDetail := "the Dashboard accepted the secret"
	if user != nil && user.Via == dashboard.UserViaList {
		secretDetail += "; the user was read from " + dashboard.UserViaList + " (" + dashboard.UserViaMe + ": " + user.ViaReason + ")"
	}
	add("secret", CheckPass, secretDetail)

	if userErr != nil {
		add("org", CheckWarn, "could not read the Dashboard user to compare org ids: "+userErr.Error())
		add("permissions", CheckFail, "could not read the Dashboard user's permissions: "+userErr.Error())
	} else {
		switch {
		case user.OrgID == "":
			add("org", CheckWarn, "the Dashboard user belongs to no org (a super user); org id "+quoteOrNone(p.OrgID)+" is used")
		case p.OrgID == "":
			add("org", CheckWarn, "no org id is set; the Dashboard user's org is "+user.OrgID)
		case p.OrgID != user.OrgID:
			add("org", CheckFail, fmt.Sprintf("org id %s does not match the Dashboard user's org %s: fix it with `tykportal provider edit %s --org-id %s`", p.OrgID, user.OrgID, p.Name, user.OrgID))
		default:
			add("org", CheckPass, "org id matches the Dashboard user's org "+user.OrgID)
		}
		var missing []string
		for _, perm := range NeededPermissions {
			if !user.Can(perm.Key, perm.Level) {
				missing = append(missing, perm.Key+" ("+perm.Level+")")
			}
		}
		noOAuth := !user.Can(OAuthPermission.Key, OAuthPermission.Level)
		if noOAuth && len(missing) > 0 {
			missing = append(missing, OAuthPermission.Key+" ("+OAuthPermission.Level+")")
		}
		switch {
		case len(missing) > 0:
			detail := "the Dashboard user lacks: " + strings.Join(missing, ", ")
			if user.GroupID != "" && len(user.Permissions) == 0 {
				detail += " (it is in user group " + user.GroupID + " and lists no permissions of its own; an empty list means admin only outside a group)"
			}
			add("permissions", CheckFail, detail)
		case noOAuth:
			add("permissions", CheckWarn, "the Dashboard user lacks: oauth (write), which OAuth 2.0 products' credentials (OAuth clients) are created with")
		case user.IsAdmin:
			add("permissions", CheckPass, "the Dashboard user is an admin")
		default:
			add("permissions", CheckPass, "apis, certs, keys, oauth, policies (write); analytics, users (read)")
		}
	}

	policies, err := d.ListPolicies(ctx)
	if err != nil {
		add("policies_matching_tags", CheckFail, "could not list policies: "+err.Error())
		return finish(r)
	}
	n := 0
	for i := range policies {
		if MatchesTags(p.PolicyTags, policies[i].Tags) {
			n++
		}
	}
	switch {
	case len(p.PolicyTags) == 0:
		add("policies_matching_tags", warnIfZero(n), fmt.Sprintf("%d of %d policies (no policy tags: every policy is imported)", n, len(policies)))
	default:
		add("policies_matching_tags", warnIfZero(n), fmt.Sprintf("%d of %d policies carry one of the tags %s", n, len(policies), strings.Join(p.PolicyTags, ",")))
	}
	return finish(r)
}

func warnIfZero(n int) string {
	if n == 0 {
		return CheckWarn
	}
	return CheckPass
}

func tlsStatus(p Provider) (string, string) {
	switch {
	case strings.HasPrefix(p.URL, "http://"):
		return CheckWarn, "plain http: the secret travels unencrypted"
	case p.InsecureSkipVerify:
		return CheckWarn, "certificate verification is off (--insecure-skip-verify)"
	case p.CAFile != "":
		return CheckPass, "certificate verified with " + p.CAFile
	}
	return CheckPass, "certificate verified"
}

func skipRest(add func(string, string, string), failed string, names ...string) {
	for _, n := range names {
		if n == failed {
			continue
		}
		add(n, CheckFail, "not checked: "+failed+" failed")
	}
}

func finish(r Report) Report {
	r.OK = true
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			r.OK = false
		}
	}
	order := map[string]int{"reachable": 0, "tls": 1, "secret": 2, "org": 3, "permissions": 4, "policies_matching_tags": 5}
	sort.SliceStable(r.Checks, func(i, j int) bool { return order[r.Checks[i].Name] < order[r.Checks[j].Name] })
	return r
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
