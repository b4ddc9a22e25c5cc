package dashboard

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const policiesPath = "/api/portal/policies"

// ListPolicies returns every policy the user can see, in Dashboard order.
// Their unmodelled fields are not kept: to update one, read it with GetPolicy.
func (c *Client) ListPolicies(ctx context.Context) ([]Policy, error) {
	return listAll[Policy](ctx, c, policiesPath, "Data", nil, func(p *Policy) string { return p.MID })
}

// GetPolicy reads one policy by its database id.
func (c *Client) GetPolicy(ctx context.Context, mid string) (*Policy, error) {
	var p Policy
	if err := c.getJSON(ctx, policiesPath+"/"+url.PathEscape(mid), nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreatePolicy creates p and returns its database id, which the Dashboard
// sends in Message (not Meta). It sets p.MID.
func (c *Client) CreatePolicy(ctx context.Context, p *Policy) (string, error) {
	body := *p
	body.MID = ""
	if body.OrgID == "" {
		body.OrgID = c.cfg.OrgID
	}
	ar, err := c.writeStatus(ctx, http.MethodPost, policiesPath, nil, body)
	if err != nil {
		return "", err
	}
	if ar.Message == "" || strings.ContainsAny(ar.Message, " /") {
		return "", c.fail(call{method: http.MethodPost, path: policiesPath}, KindBadResponse, 200, "", fmt.Errorf("no policy id in the answer's Message"))
	}
	p.MID = ar.Message
	return ar.Message, nil
}

// UpdatePolicy writes p whole. Because Policy keeps every field it does not
// model, this changes only what the caller changed.
func (c *Client) UpdatePolicy(ctx context.Context, p *Policy) error {
	if p.MID == "" {
		return fmt.Errorf("update policy %q: no database id", p.Name)
	}
	if p.partial {
		return fmt.Errorf("update policy %s: %w", p.MID, errPartialPolicy)
	}
	_, err := c.writeStatus(ctx, http.MethodPut, policiesPath+"/"+url.PathEscape(p.MID), nil, p)
	return err
}

// errPartialPolicy is returned by UpdatePolicy for a policy from a list.
var errPartialPolicy = errors.New("this policy came from a list, which does not keep every field; read it with GetPolicy before updating it")

// DeletePolicy deletes a policy by its database id.
func (c *Client) DeletePolicy(ctx context.Context, mid string) error {
	_, err := c.writeStatus(ctx, http.MethodDelete, policiesPath+"/"+url.PathEscape(mid), nil, nil)
	return err
}

// apiWrapper is one entry of /api/apis.
type apiWrapper struct {
	Def apiDefinition   `json:"api_definition"`
	OAS json.RawMessage `json:"oas"`
}

type apiDefinition struct {
	ID                      string          `json:"id"`
	APIID                   string          `json:"api_id"`
	Name                    string          `json:"name"`
	OrgID                   string          `json:"org_id"`
	Active                  bool            `json:"active"`
	IsOAS                   bool            `json:"is_oas"`
	UseKeyless              bool            `json:"use_keyless"`
	UseStandardAuth         bool            `json:"use_standard_auth"`
	UseOAuth2               bool            `json:"use_oauth2"`
	UseOpenID               bool            `json:"use_openid"`
	UseBasicAuth            bool            `json:"use_basic_auth"`
	EnableJWT               bool            `json:"enable_jwt"`
	EnableSignatureChecking bool            `json:"enable_signature_checking"`
	UseMutualTLSAuth        bool            `json:"use_mutual_tls_auth"`
	CustomPluginAuthEnabled bool            `json:"custom_plugin_auth_enabled"`
	UseGoPluginAuth         bool            `json:"use_go_plugin_auth"`
	EnableCoprocessAuth     bool            `json:"enable_coprocess_auth"`
	ExternalOAuth           json.RawMessage `json:"external_oauth"`
	BaseIdentityProvidedBy  string          `json:"base_identity_provided_by"`
	Proxy                   apiProxy        `json:"proxy"`
}

// apiProxy is the part of a classic API's proxy settings tykportal reads.
type apiProxy struct {
	ListenPath string `json:"listen_path"`
}

// ListAPIs returns every API with its auth method in Tyk's names.
func (c *Client) ListAPIs(ctx context.Context) ([]API, error) {
	ws, err := listAll[apiWrapper](ctx, c, "/api/apis", "apis", nil, func(w *apiWrapper) string { return w.Def.ID })
	if err != nil {
		return nil, err
	}
	out := make([]API, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.api())
	}
	return out, nil
}

func (w apiWrapper) api() API {
	d := w.Def
	a := API{ID: d.ID, APIID: d.APIID, Name: d.Name, OrgID: d.OrgID, Active: d.Active, IsOAS: d.IsOAS, AuthType: classicAuth(d), ListenPath: d.Proxy.ListenPath}
	if len(w.OAS) > 0 && !isNull(w.OAS) {
		a.IsOAS = true
		if lp := oasListenPath(w.OAS); lp != "" {
			a.ListenPath = lp
		}
		if name, id, auth := oasInfo(w.OAS); name != "" || id != "" || auth != "" {
			if name != "" {
				a.Name = name
			}
			if id != "" && a.APIID == "" {
				a.APIID = id
			}
			if auth != "" {
				a.AuthType = auth
			}
		}
	}
	return a
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// classicAuth maps a classic API definition's auth flags to Tyk's auth type
// names. When several methods are on, base_identity_provided_by decides.
func classicAuth(d apiDefinition) string {
	if a := identityAuth(d.BaseIdentityProvidedBy); a != "" {
		return a
	}
	extOAuth := false
	if len(d.ExternalOAuth) > 0 && !isNull(d.ExternalOAuth) {
		var eo struct {
			Enabled bool `json:"enabled"`
		}
		extOAuth = json.Unmarshal(d.ExternalOAuth, &eo) == nil && eo.Enabled
	}
	switch {
	case d.UseKeyless:
		return "keyless"
	case d.UseOAuth2:
		return "oauth"
	case d.EnableJWT:
		return "jwt"
	case d.UseBasicAuth:
		return "basic"
	case d.EnableSignatureChecking:
		return "hmac"
	case d.UseOpenID || extOAuth:
		return "oidc"
	case d.CustomPluginAuthEnabled || d.UseGoPluginAuth || d.EnableCoprocessAuth:
		return "custom"
	case d.UseMutualTLSAuth:
		return "mtls"
	}
	// No flag set: the gateway's default is the auth token.
	return "authToken"
}

// identityAuth maps a base identity provider (classic
// base_identity_provided_by, OAS baseIdentityProvider; apidef.AuthTypeEnum)
// to Tyk's auth type name, or "" when none is set.
func identityAuth(provider string) string {
	switch provider {
	case "auth_token":
		return "authToken"
	case "custom_auth":
		return "custom"
	case "hmac_key":
		return "hmac"
	case "basic_auth_user":
		return "basic"
	case "jwt_claim":
		return "jwt"
	case "oidc_user":
		return "oidc"
	case "oauth_key":
		return "oauth"
	}
	return ""
}

// oasListenPath is an OAS API's listen path
// (x-tyk-api-gateway.server.listenPath.value), or "".
func oasListenPath(raw json.RawMessage) string {
	var doc struct {
		Tyk struct {
			Server struct {
				ListenPath struct {
					Value string `json:"value"`
				} `json:"listenPath"`
			} `json:"server"`
		} `json:"x-tyk-api-gateway"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return ""
	}
	return doc.Tyk.Server.ListenPath.Value
}

// oasEnabled is an OAS authentication member that can be switched on.
type oasEnabled *struct {
	Enabled bool `json:"enabled"`
}

func on(e oasEnabled) bool { return e != nil && e.Enabled }

// oasInfo reads name, id and auth method of a Tyk OAS API. The method comes
// from x-tyk-api-gateway.server.authentication (Tyk's apidef/oas
// Authentication): baseIdentityProvider when set (it names the method that
// makes the session when several are on), else the Tyk-specific methods
// hmac, oidc and custom (older versions: goPlugin), else the first enabled
// security scheme with its OpenAPI type, else mutual TLS (certificateAuth,
// or server.clientCertificates, the classic use_mutual_tls_auth).
func oasInfo(raw json.RawMessage) (name, id, auth string) {
	var doc struct {
		Components struct {
			SecuritySchemes map[string]struct {
				Type         string `json:"type"`
				Scheme       string `json:"scheme"`
				BearerFormat string `json:"bearerFormat"`
			} `json:"securitySchemes"`
		} `json:"components"`
		Tyk struct {
			Info struct {
				Name string `json:"name"`
				ID   string `json:"id"`
			} `json:"info"`
			Server struct {
				Authentication *struct {
					Enabled              bool                       `json:"enabled"`
					BaseIdentityProvider string                     `json:"baseIdentityProvider"`
					SecuritySchemes      map[string]json.RawMessage `json:"securitySchemes"`
					HMAC                 oasEnabled                 `json:"hmac"`
					OIDC                 oasEnabled                 `json:"oidc"`
					Custom               oasEnabled                 `json:"custom"`
					GoPlugin             oasEnabled                 `json:"goPlugin"`
					CertificateAuth      oasEnabled                 `json:"certificateAuth"`
				} `json:"authentication"`
				// The classic use_mutual_tls_auth (the Dashboard's spec:
				// Server.clientCertificates).
				ClientCertificates oasEnabled `json:"clientCertificates"`
			} `json:"server"`
		} `json:"x-tyk-api-gateway"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return "", "", ""
	}
	name, id = doc.Tyk.Info.Name, doc.Tyk.Info.ID
	au := doc.Tyk.Server.Authentication
	if au == nil || !au.Enabled {
		return name, id, "keyless"
	}
	if a := identityAuth(au.BaseIdentityProvider); a != "" {
		return name, id, a
	}
	switch {
	case on(au.HMAC):
		return name, id, "hmac"
	case on(au.OIDC):
		return name, id, "oidc"
	case on(au.Custom) || on(au.GoPlugin):
		return name, id, "custom"
	}
	for _, schemeName := range sortedKeys(au.SecuritySchemes) {
		var enabled struct {
			Enabled bool `json:"enabled"`
		}
		_ = json.Unmarshal(au.SecuritySchemes[schemeName], &enabled)
		if !enabled.Enabled {
			continue
		}
		s, ok := doc.Components.SecuritySchemes[schemeName]
		if !ok {
			continue
		}
		switch {
		case s.Type == "apiKey":
			return name, id, "authToken"
		case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
			return name, id, "basic"
		case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer") && strings.EqualFold(s.BearerFormat, "jwt"):
			return name, id, "jwt"
		case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"):
			return name, id, "authToken"
		case s.Type == "oauth2":
			return name, id, "oauth"
		case s.Type == "openIdConnect":
			return name, id, "oidc"
		case s.Type == "mutualTLS":
			return name, id, "mtls"
		}
	}
	if on(au.CertificateAuth) || on(doc.Tyk.Server.ClientCertificates) {
		return name, id, "mtls"
	}
	return name, id, "authToken"
}

// KeyRequest is a key to create.
type KeyRequest struct {
	ApplyPolicies []string
	Alias         string
	MetaData      map[string]any
	Expires       int64 // unix seconds; 0 never
	Tags          []string
}

// CreatedKey is the Dashboard's answer to a key creation. Key is the
// plaintext key: the caller prints it once and keeps only KeyHash.
type CreatedKey struct {
	Key     string
	KeyHash string
	Expires int64
}

// KeyInfo is a key's session as the Dashboard reports it.
type KeyInfo struct {
	KeyHash       string
	Alias         string
	ApplyPolicies []string
	MetaData      map[string]any
	Expires       int64
	IsInactive    bool
}

type session struct {
	ApplyPolicies []string       `json:"apply_policies"`
	Alias         string         `json:"alias"`
	MetaData      map[string]any `json:"meta_data"`
	Expires       float64        `json:"expires"`
	Tags          []string       `json:"tags"`
	OrgID         string         `json:"org_id"`
	IsInactive    bool           `json:"is_inactive"`
	AccessRights  map[string]any `json:"access_rights"`
	Rate          float64        `json:"rate"`
	Per           float64        `json:"per"`
	QuotaMax      float64        `json:"quota_max"`
}

type keyData struct {
	KeyID   string  `json:"key_id"`
	KeyHash string  `json:"key_hash"`
	Data    session `json:"data"`
}

// CreateKey creates a key with the policies applied.
func (c *Client) CreateKey(ctx context.Context, req KeyRequest) (*CreatedKey, error) {
	body := session{
		ApplyPolicies: req.ApplyPolicies, Alias: req.Alias, MetaData: req.MetaData, Expires: float64(req.Expires),
		Tags: req.Tags, OrgID: c.cfg.OrgID, AccessRights: map[string]any{}, Rate: -1, Per: -1, QuotaMax: -1,
	}
	if body.Tags == nil {
		body.Tags = []string{}
	}
	raw, err := c.write(ctx, http.MethodPost, "/api/keys", nil, body)
	if err != nil {
		return nil, err
	}
	var kd keyData
	if err := json.Unmarshal(raw, &kd); err != nil || kd.KeyID == "" {
		if err == nil {
			err = errors.New("no key_id in the answer")
		}
		return nil, c.fail(call{method: http.MethodPost, path: "/api/keys"}, KindBadResponse, 200, "", err)
	}
	return &CreatedKey{Key: kd.KeyID, KeyHash: kd.KeyHash, Expires: int64(kd.Data.Expires)}, nil
}

// GetKey reads a key by its hash.
func (c *Client) GetKey(ctx context.Context, keyHash string) (*KeyInfo, error) {
	var kd keyData
	if err := c.getJSON(ctx, "/api/keys/"+url.PathEscape(keyHash), url.Values{"hashed": {"true"}}, &kd); err != nil {
		return nil, err
	}
	return &KeyInfo{KeyHash: keyHash, Alias: kd.Data.Alias, ApplyPolicies: kd.Data.ApplyPolicies, MetaData: kd.Data.MetaData,
		Expires: int64(kd.Data.Expires), IsInactive: kd.Data.IsInactive}, nil
}

// DeleteKey deletes a key by its hash (the Dashboard needs
// enable_delete_key_by_hash for that).
func (c *Client) DeleteKey(ctx context.Context, keyHash string) error {
	_, err := c.writeStatus(ctx, http.MethodDelete, "/api/keys/"+url.PathEscape(keyHash), url.Values{"hashed": {"true"}}, nil)
	return err
}

// maxKeyListPages bounds ListAPIKeys against a Dashboard that reports
// pages it never ends.
const maxKeyListPages = 10000

// ListAPIKeys returns the ids of the keys that grant access to an API, page
// by page (GET /api/apis/{apiID}/keys?p=N answers {"data":{"keys":[...]},
// "pages":N}). With hashing on they are hashes, and a Dashboard refuses the
// list unless enable_hashed_keys_listing is set; with hashing off they are
// the keys themselves, so callers must never print them.
func (c *Client) ListAPIKeys(ctx context.Context, apiID string) ([]string, error) {
	var out []string
	for p := 1; p <= maxKeyListPages; p++ {
		var page struct {
			Data struct {
				Keys []string `json:"keys"`
			} `json:"data"`
			Pages int `json:"pages"`
		}
		if err := c.getJSON(ctx, "/api/apis/"+url.PathEscape(apiID)+"/keys", url.Values{"p": {strconv.Itoa(p)}}, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Data.Keys...)
		if p >= page.Pages || len(page.Data.Keys) == 0 {
			break
		}
	}
	return out, nil
}

// OAuthClientRequest is an OAuth client to create, bound to a policy.
type OAuthClientRequest struct {
	PolicyID    string
	RedirectURI string
	Description string
	MetaData    map[string]any
}

// OAuthClient is an OAuth 2.0 client. Secret is shown once by the caller.
type OAuthClient struct {
	ClientID    string         `json:"client_id"`
	Secret      string         `json:"secret"`
	PolicyID    string         `json:"policy_id"`
	RedirectURI string         `json:"redirect_uri"`
	Description string         `json:"description"`
	MetaData    map[string]any `json:"meta_data"`
}

func oauthPath(apiID string, rest ...string) string {
	p := "/api/apis/oauth/" + url.PathEscape(apiID)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// CreateOAuthClient creates an OAuth client under an API, bound to a policy.
func (c *Client) CreateOAuthClient(ctx context.Context, apiID string, req OAuthClientRequest) (*OAuthClient, error) {
	body := map[string]any{"redirect_uri": req.RedirectURI, "policy_id": req.PolicyID, "description": req.Description, "meta_data": stringMeta(req.MetaData)}
	raw, err := c.write(ctx, http.MethodPost, oauthPath(apiID), nil, body)
	if err != nil {
		return nil, err
	}
	var oc OAuthClient
	if err := json.Unmarshal(raw, &oc); err != nil || oc.ClientID == "" {
		if err == nil {
			err = errors.New("no client_id in the answer")
		}
		return nil, c.fail(call{method: http.MethodPost, path: oauthPath(apiID)}, KindBadResponse, 200, "", err)
	}
	return &oc, nil
}

// stringMeta is meta data as an OAuth client carries it: the Dashboard's
// spec types an OAuth client's meta_data as string to string (a key's is
// any JSON), so numbers and booleans are sent as their text.
func stringMeta(meta map[string]any) map[string]string {
	out := make(map[string]string, len(meta))
	for k, v := range meta {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// GetOAuthClient reads an OAuth client.
func (c *Client) GetOAuthClient(ctx context.Context, apiID, clientID string) (*OAuthClient, error) {
	var oc OAuthClient
	if err := c.getJSON(ctx, oauthPath(apiID, clientID), nil, &oc); err != nil {
		return nil, err
	}
	return &oc, nil
}

// ListOAuthClients returns the OAuth clients of an API.
func (c *Client) ListOAuthClients(ctx context.Context, apiID string) ([]OAuthClient, error) {
	return listAll[OAuthClient](ctx, c, oauthPath(apiID), "apps", nil, func(o *OAuthClient) string { return o.ClientID })
}

// DeleteOAuthClient deletes an OAuth client.
func (c *Client) DeleteOAuthClient(ctx context.Context, apiID, clientID string) error {
	_, err := c.writeStatus(ctx, http.MethodDelete, oauthPath(apiID, clientID), nil, nil)
	return err
}

// User is the Dashboard user a secret belongs to. Its access key is never kept.
type User struct {
	ID          string
	OrgID       string
	Email       string
	GroupID     string // the user group whose permissions the user has, or ""
	Permissions map[string]string
	IsAdmin     bool
	// Via is the call the user was read with: UserViaMe, or UserViaList
	// when /api/users/me could not be used; ViaReason says why not.
	Via       string
	ViaReason string
}

// The calls CurrentUser reads the user with.
const (
	UserViaMe   = "/api/users/me"
	UserViaList = "/api/users"
)

// Can reports whether the user holds permission at level ("read" or
// "write"; write implies read). An admin holds every permission.
func (u *User) Can(permission, level string) bool {
	if u.IsAdmin {
		return true
	}
	switch u.Permissions[permission] {
	case "write":
		return true
	case "read":
		return level == "read"
	}
	return false
}

type userJSON struct {
	ID          string            `json:"id"`
	OrgID       string            `json:"org_id"`
	Email       string            `json:"email_address"`
	GroupID     string            `json:"group_id"`
	AccessKey   string            `json:"access_key"`
	Permissions map[string]string `json:"user_permissions"`
}

// user applies Tyk's admin rule: "IsAdmin" set, or no permission entries at
// all. The empty-permissions rule holds only for a user outside any user
// group: a group member's permissions are the group's, and an empty map on
// such a user is no grant of everything.
func (u userJSON) user() *User {
	perms := map[string]string{}
	admin := len(u.Permissions) == 0 && u.GroupID == ""
	for k, v := range u.Permissions {
		if k == "IsAdmin" {
			admin = admin || v == "admin" || v == "true"
			continue
		}
		if k == "ResetPassword" {
			continue
		}
		perms[k] = v
	}
	return &User{ID: u.ID, OrgID: u.OrgID, Email: u.Email, GroupID: u.GroupID, Permissions: perms, IsAdmin: admin}
}

// CurrentUser returns the user the secret belongs to: /api/users/me, else
// the entry of /api/users whose access key is the secret. The Dashboard's
// spec says /api/users/me needs a session cookie, and a Dashboard that
// holds to it answers 401 to the API secret alone; that 401 says nothing
// about the secret, so the list is asked too, and only its 401 means the
// secret was refused.
func (c *Client) CurrentUser(ctx context.Context) (*User, error) {
	var me userJSON
	err := c.getJSON(ctx, UserViaMe, nil, &me)
	if err == nil && me.ID != "" {
		u := me.user()
		u.Via = UserViaMe
		return u, nil
	}
	if err != nil && !(errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrRejected) || errors.Is(err, ErrUnauthorized)) {
		return nil, err
	}
	reason := "it answered no user"
	if err != nil {
		reason = meRefusal(err)
	}
	users, lerr := listAll[userJSON](ctx, c, UserViaList, "users", nil, func(u *userJSON) string { return u.ID })
	if lerr != nil {
		// The list's answer decides: its 401 refuses the secret, its 403
		// names the permission that is missing.
		return nil, fmt.Errorf("%w (%s: %s)", lerr, UserViaMe, reason)
	}
	for _, u := range users {
		if u.AccessKey != "" && subtle.ConstantTimeCompare([]byte(u.AccessKey), []byte(c.cfg.Secret)) == 1 {
			found := u.user()
			found.Via, found.ViaReason = UserViaList, reason
			return found, nil
		}
	}
	return nil, c.fail(call{method: http.MethodGet, path: UserViaList}, KindNotFound, 0, "no user with this secret is visible ("+UserViaMe+": "+reason+")", nil)
}

// meRefusal says in words why /api/users/me gave no user.
func meRefusal(err error) string {
	switch {
	case errors.Is(err, ErrUnauthorized):
		return "it answered 401, as a Dashboard does that wants a session cookie there"
	case errors.Is(err, ErrNotFound):
		return "it answered 404"
	case errors.Is(err, ErrForbidden):
		return "it answered 403"
	}
	return "it refused the request"
}
