package dashboardtest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Handler serves the Dashboard API and the /__sim control endpoint.
func (s *Sim) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

// recorder captures an answer so that faults can garble or cut it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.status = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func pageOf(r *http.Request) int {
	v := r.URL.Query().Get("p")
	if v == "" {
		return 1
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 {
		return 1
	}
	return p
}

func (s *Sim) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__sim/") {
		s.control(w, r)
		return
	}
	page := pageOf(r)
	f := s.matchFault(r.Method, r.URL.Path, page)
	if d := s.opts.Latency + f.Latency; d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	rec := &recorder{header: http.Header{}, status: 200}
	switch {
	case f.Endless != "":
		s.record(r, page, 200)
		streamEndless(w, r, f.Endless)
		return
	case f.EchoSecret != "":
		writeStatus(rec, cmp.Or(f.Status, http.StatusBadRequest), "Error", echoSecret(r, f.EchoSecret))
	case f.Reset:
		s.record(r, page, 0)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST, not FIN
				}
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case f.RedirectTo != "":
		rec.header.Set("Location", f.RedirectTo)
		rec.status = http.StatusFound
	case f.Status != 0:
		if f.RetryAfter > 0 {
			rec.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
		writeStatus(rec, f.Status, "Error", http.StatusText(f.Status))
	default:
		s.route(rec, r)
		if f.Hold > 0 {
			select {
			case <-time.After(f.Hold):
			case <-r.Context().Done():
			}
		}
	}
	body := rec.body.Bytes()
	if f.ClaimPages != 0 || f.ShortPage != "" {
		body = rewritePage(body, f.ClaimPages, f.ShortPage)
	}
	switch {
	case f.Garbage:
		body = []byte("<html><body>502 Bad Gateway: upstream sent <b>nothing useful</b></body></html>")
		rec.header.Set("Content-Type", "text/html")
	case f.Truncated:
		body = body[:len(body)/2]
	case f.Huge > 0:
		prefix := []byte(`{"Data":[{"name":"`)
		body = append(prefix, bytes.Repeat([]byte{'x'}, int(max(f.Huge-int64(len(prefix)), 0)))...)
	}
	if f.ContentType != "" {
		rec.header.Set("Content-Type", f.ContentType)
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rec.header.Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if f.Truncated {
		// Announce the full length and send half: the client sees an unexpected EOF.
		w.Header().Set("Content-Length", strconv.Itoa(rec.body.Len()))
	}
	s.record(r, page, rec.status)
	w.WriteHeader(rec.status)
	_, _ = w.Write(body)
}

func (s *Sim) record(r *http.Request, page, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, RequestLog{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Page: page, Status: status})
}

func (s *Sim) matchFault(method, path string, page int) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if (f.method == "" || f.method == method) && f.path == path && (f.page == 0 || f.page == page) {
			if f.fault.Times > 0 && f.used >= f.fault.Times {
				continue
			}
			f.used++
			return f.fault
		}
	}
	return Fault{}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeStatus writes the Dashboard's ApiResponse body.
func writeStatus(w http.ResponseWriter, status int, st, msg string) {
	writeJSON(w, status, map[string]any{"Status": st, "Message": msg, "Meta": nil})
}

// authenticate finds the user whose access key is the raw Authorization
// header. A "Bearer " prefix is refused: the Dashboard's documented form is
// the raw secret, and a client sending a prefix should find out here.
func (s *Sim) authenticate(r *http.Request) *User {
	key := r.Header.Get("Authorization")
	if key == "" || strings.HasPrefix(key, "Bearer ") {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, u := range s.users {
		if u.AccessKey == key && u.Active {
			return u
		}
	}
	return nil
}

func isAdmin(u *User) bool {
	// Empty permissions mean admin only outside a user group.
	if len(u.Permissions) == 0 && u.GroupID == "" {
		return true
	}
	v := u.Permissions["IsAdmin"]
	return v == "admin" || v == "true"
}

// allowed applies RBAC: GET needs read, anything else write.
func allowed(u *User, perm, method string) bool {
	if isAdmin(u) {
		return true
	}
	switch u.Permissions[perm] {
	case "write":
		return true
	case "read":
		return method == http.MethodGet
	}
	return false
}

func (s *Sim) route(w http.ResponseWriter, r *http.Request) {
	u := s.authenticate(r)
	if u == nil {
		writeStatus(w, http.StatusUnauthorized, "Error", "Not authorised")
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var perm, base string
	switch {
	case strings.HasPrefix(path, "/api/portal/policies"):
		perm, base = "policies", "/api/portal/policies"
	case strings.HasPrefix(path, "/api/apis/oauth"):
		perm, base = "oauth", "/api/apis/oauth"
	case strings.HasPrefix(path, "/api/apis"):
		perm, base = "apis", "/api/apis"
	case strings.HasPrefix(path, "/api/keys"):
		perm, base = "keys", "/api/keys"
	case path == "/api/users/me":
		s.usersMe(w, u)
		return
	case strings.HasPrefix(path, "/api/users"):
		perm, base = "users", "/api/users"
	default:
		writeStatus(w, http.StatusNotFound, "Error", "Not found")
		return
	}
	if !allowed(u, perm, r.Method) {
		writeStatus(w, http.StatusForbidden, "Error", "access denied: You do not have permission to access  "+base)
		return
	}
	switch perm {
	case "policies":
		s.policiesRoute(w, r, u, parts[3:])
	case "oauth":
		s.oauthRoute(w, r, u, parts[3:])
	case "apis":
		s.apisRoute(w, r, u, parts[2:])
	case "keys":
		s.keysRoute(w, r, u, parts[2:])
	case "users":
		s.usersRoute(w, r, u, parts[2:])
	}
}

func visible(u *User, org any) bool { return u.OrgID == "" || org == u.OrgID }

// page slices items as the Dashboard pages them.
func (s *Sim) page(r *http.Request, n int) (lo, hi, pages int) {
	ps := s.opts.PageSize
	pages = (n + ps - 1) / ps
	p := 1
	if v := r.URL.Query().Get("p"); v != "" {
		if x, err := strconv.Atoi(v); err == nil {
			p = x
		}
	}
	if p < 0 && !s.opts.Legacy {
		if n == 0 {
			return 0, 0, 0
		}
		return 0, n, 1
	}
	if p < 1 {
		p = 1
	}
	lo = min((p-1)*ps, n)
	hi = min(lo+ps, n)
	return lo, hi, pages
}

func readBody(r *http.Request) (map[string]any, bool) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func (s *Sim) policiesRoute(w http.ResponseWriter, r *http.Request, u *User, rest []string) {
	// Reads share the lock, as a real Dashboard serves concurrent reads.
	if r.Method == http.MethodGet {
		s.mu.RLock()
		defer s.mu.RUnlock()
	} else {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	if len(rest) == 0 {
		switch r.Method {
		case http.MethodGet:
			mine := s.visiblePolicies(u)
			lo, hi, pages := s.page(r, len(mine))
			writeJSON(w, 200, map[string]any{"Data": mine[lo:hi], "Pages": pages})
		case http.MethodPost:
			body, ok := readBody(r)
			if !ok {
				writeStatus(w, http.StatusForbidden, "Error", "Request body malformed.")
				return
			}
			org := u.OrgID
			if org == "" {
				org, _ = body["org_id"].(string)
			}
			if s.nameTaken(org, body["name"], "") {
				writeStatus(w, http.StatusBadRequest, "Error", "This policy name has already been used. Enter a unique policy name.")
				return
			}
			delete(body, "_id")
			mid := s.addPolicyLocked(org, body)
			writeStatus(w, 200, "OK", mid)
		default:
			writeStatus(w, http.StatusMethodNotAllowed, "Error", "Method not allowed")
		}
		return
	}
	mid := rest[0]
	if !isHexID(mid) {
		writeStatus(w, http.StatusBadRequest, "Error", "Invalid policy ID.")
		return
	}
	idx := -1
	for i, p := range s.policies {
		if p["_id"] == mid && visible(u, p["org_id"]) {
			idx = i
		}
	}
	switch r.Method {
	case http.MethodGet:
		if idx < 0 {
			writeStatus(w, http.StatusNotFound, "Error", "Could not retrieve portal object.")
			return
		}
		writeJSON(w, 200, s.policies[idx])
	case http.MethodPut:
		if idx < 0 {
			writeStatus(w, http.StatusNotFound, "Error", "Could not retrieve portal object.")
			return
		}
		body, ok := readBody(r)
		if !ok {
			writeStatus(w, http.StatusForbidden, "Error", "Request body malformed.")
			return
		}
		old := s.policies[idx]
		if s.nameTaken(old["org_id"].(string), body["name"], mid) {
			writeStatus(w, http.StatusBadRequest, "Error", "This policy name has already been used. Enter a unique policy name.")
			return
		}
		withDefaults(body, policyDefaults())
		body["_id"], body["org_id"] = mid, old["org_id"]
		if dc, ok := old["date_created"]; ok {
			body["date_created"] = dc
		}
		body["last_updated"] = strconv.FormatInt(s.now().Unix(), 10)
		s.policies[idx] = body
		s.gen++
		writeStatus(w, 200, "OK", "Data updated")
	case http.MethodDelete:
		if idx < 0 {
			writeStatus(w, http.StatusNotFound, "Error", "Could not retrieve object for deletion")
			return
		}
		s.policies = append(s.policies[:idx], s.policies[idx+1:]...)
		s.gen++
		writeStatus(w, 200, "OK", "Data deleted")
	default:
		writeStatus(w, http.StatusMethodNotAllowed, "Error", "Method not allowed")
	}
}

func (s *Sim) nameTaken(org string, name any, exceptMID string) bool {
	for _, p := range s.policies {
		if p["org_id"] == org && p["name"] == name && p["_id"] != exceptMID {
			return true
		}
	}
	return false
}

func (s *Sim) apiWrapper(a *apiRec) map[string]any {
	w := map[string]any{
		"api_definition": a.def, "categories": []any{}, "created_at": a.created.Format(time.RFC3339),
		"updated_at": a.created.Format(time.RFC3339), "user_owners": []any{}, "user_group_owners": []any{},
		"hook_references": []any{}, "is_site": false, "sort_by": 0, "api_model": map[string]any{},
	}
	if a.oas != nil {
		w["oas"] = a.oas
	}
	return w
}

func (s *Sim) apisRoute(w http.ResponseWriter, r *http.Request, u *User, rest []string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r.Method != http.MethodGet {
		writeStatus(w, http.StatusMethodNotAllowed, "Error", "Method not allowed")
		return
	}
	if len(rest) == 0 {
		mine := s.visibleAPIs(u)
		lo, hi, pages := s.page(r, len(mine))
		data := make([]map[string]any, 0, hi-lo)
		for _, a := range mine[lo:hi] {
			data = append(data, s.apiWrapper(a))
		}
		writeJSON(w, 200, map[string]any{"apis": data, "pages": pages})
		return
	}
	for _, a := range s.apis {
		if visible(u, a.org) && (a.def["id"] == rest[0] || a.def["api_id"] == rest[0]) {
			if len(rest) == 2 && rest[1] == "keys" {
				if s.keyListRefused(w) {
					return
				}
				var hashes []string
				for _, h := range sortedKeys(s.keys) {
					if k := s.keys[h]; visible(u, k.org) {
						if ar, ok := k.session["access_rights"].(map[string]any); ok && ar[a.def["api_id"].(string)] != nil {
							hashes = append(hashes, h)
						}
					}
				}
				// Key lists page like the others, but p<0 is not documented for them.
				ps := s.opts.PageSize
				pages := (len(hashes) + ps - 1) / ps
				p, _ := strconv.Atoi(r.URL.Query().Get("p"))
				lo := min(max(p-1, 0)*ps, len(hashes))
				page := append([]string{}, hashes[lo:min(lo+ps, len(hashes))]...)
				writeJSON(w, 200, map[string]any{"data": map[string]any{"keys": page}, "pages": pages})
				return
			}
			writeJSON(w, 200, s.apiWrapper(a))
			return
		}
	}
	writeStatus(w, http.StatusNotFound, "Error", "API not found")
}

// findPolicy resolves a policy reference the way the gateway does: the
// custom id when set, else the database id.
func (s *Sim) findPolicy(org, ref string) map[string]any {
	for _, p := range s.policies {
		if p["org_id"] != org && org != "" {
			continue
		}
		if id, _ := p["id"].(string); id != "" && id == ref {
			return p
		}
		if id, _ := p["id"].(string); id == "" && p["_id"] == ref {
			return p
		}
	}
	return nil
}

func (s *Sim) keysRoute(w http.ResponseWriter, r *http.Request, u *User, rest []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(rest) == 0 {
		if r.Method != http.MethodPost {
			writeStatus(w, http.StatusMethodNotAllowed, "Error", "Method not allowed")
			return
		}
		body, ok := readBody(r)
		if !ok {
			writeStatus(w, http.StatusForbidden, "Error", "Request body malformed.")
			return
		}
		org := u.OrgID
		if org == "" {
			org, _ = body["org_id"].(string)
		}
		refs, _ := body["apply_policies"].([]any)
		access := map[string]any{}
		for _, ref := range refs {
			rs, _ := ref.(string)
			p := s.findPolicy(org, rs)
			if p == nil {
				writeStatus(w, http.StatusBadRequest, "Error", fmt.Sprintf("Failed to create key: policy %q not found", rs))
				return
			}
			if ar, ok := p["access_rights"].(map[string]any); ok {
				for k, v := range ar {
					access[k] = v
				}
			}
		}
		withDefaults(body, sessionDefaults())
		body["org_id"] = org
		body["access_rights"] = access
		key := org + s.hexID(16)
		hash := keyHash(key)
		if !s.opts.HashKeys {
			hash = key
		}
		s.keys[hash] = &keyRec{org: org, hash: hash, session: body}
		answer := map[string]any{"api_model": map[string]any{}, "key_id": key, "data": body, "key_hash": hash}
		if !s.opts.HashKeys {
			answer["key_hash"] = ""
		}
		writeJSON(w, 200, answer)
		return
	}
	ref := rest[0]
	hashed := r.URL.Query().Get("hashed") != ""
	if s.hashedRefused(w, hashed) {
		return
	}
	hash := ref
	if !hashed && s.opts.HashKeys {
		hash = keyHash(ref)
	}
	k := s.keys[hash]
	if k == nil || !visible(u, k.org) {
		writeStatus(w, http.StatusNotFound, "Error", "Could not retrieve key detail.")
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, 200, map[string]any{"api_model": map[string]any{}, "key_id": ref, "data": k.session, "key_hash": hash})
	case http.MethodDelete:
		if hashed && !s.opts.DeleteByHash {
			writeStatus(w, http.StatusBadRequest, "Error", "Deleting keys by hash is disabled: set enable_delete_key_by_hash")
			return
		}
		delete(s.keys, hash)
		writeStatus(w, 200, "OK", "Key deleted successfully.")
	default:
		writeStatus(w, http.StatusMethodNotAllowed, "Error", "Method not allowed")
	}
}

func (s *Sim) oauthRoute(w http.ResponseWriter, r *http.Request, u *User, rest []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(rest) == 0 {
		writeStatus(w, http.StatusNotFound, "Error", "Not found")
		return
	}
	apiID := rest[0]
	var api *apiRec
	for _, a := range s.apis {
		if visible(u, a.org) && a.def["api_id"] == apiID {
			api = a
		}
	}
	if api == nil {
		writeStatus(w, http.StatusBadRequest, "Error", "API Reference not found.")
		return
	}
	if len(rest) == 1 {
		switch r.Method {
		case http.MethodGet:
			apps := s.oauth[apiID]
			if apps == nil {
				apps = []map[string]any{}
			}
			writeJSON(w, 200, map[string]any{"apps": apps, "pages": 1})
		case http.MethodPost:
			if v, _ := api.def["use_oauth2"].(bool); !v {
				writeStatus(w, http.StatusBadRequest, "Error", "API Reference not found.")
				return
			}
			body, ok := readBody(r)
			if !ok || oauthMetaMalformed(body) {
				writeStatus(w, http.StatusForbidden, "Error", "Request body malformed.")
				return
			}
			pid, _ := body["policy_id"].(string)
			if pid != "" && s.findPolicy(api.org, pid) == nil {
				writeStatus(w, http.StatusBadRequest, "Error", "Policy not found.")
				return
			}
			client := map[string]any{
				"client_id": s.hexID(16), "secret": randomSecret(), "redirect_uri": body["redirect_uri"],
				"policy_id": pid, "meta_data": body["meta_data"], "description": body["description"],
				"client_name": body["client_name"],
			}
			// The Dashboard's OAuthClient struct answers strings, never null,
			// and its DCR registration (swagger OAuthClient).
			if _, ok := client["client_name"].(string); !ok {
				client["client_name"] = ""
			}
			client["dcr_registration"] = map[string]any{"access_token": "", "client_uri": "", "provider": ""}
			s.oauth[apiID] = append(s.oauth[apiID], client)
			writeJSON(w, 200, client)
		default:
			writeStatus(w, http.StatusMethodNotAllowed, "Error", "Method not allowed")
		}
		return
	}
	for i, c := range s.oauth[apiID] {
		if c["client_id"] != rest[1] {
			continue
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, 200, c)
		case http.MethodDelete:
			s.oauth[apiID] = append(s.oauth[apiID][:i], s.oauth[apiID][i+1:]...)
			writeStatus(w, 200, "OK", "OAuth client deleted successfully.")
		default:
			writeStatus(w, http.StatusMethodNotAllowed, "Error", "Method not allowed")
		}
		return
	}
	writeStatus(w, http.StatusNotFound, "Error", "Could not retrieve app detail.")
}

func userJSON(u *User) map[string]any {
	return map[string]any{
		"id": u.ID, "org_id": u.OrgID, "email_address": u.Email, "first_name": "", "last_name": "",
		"active": u.Active, "access_key": u.AccessKey, "user_permissions": u.Permissions,
		"created_at": "2026-01-01T00:00:00Z", "group_id": u.GroupID, "password_max_days": 0,
		"api_model": map[string]any{}, "last_login_date": "2026-01-01T00:00:00Z", "password_updated": "2026-01-01T00:00:00Z",
	}
}

func (s *Sim) usersMe(w http.ResponseWriter, u *User) {
	if s.usersMeRefused(w) {
		return
	}
	writeJSON(w, 200, userJSON(u))
}

func (s *Sim) usersRoute(w http.ResponseWriter, r *http.Request, u *User, rest []string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r.Method != http.MethodGet {
		writeStatus(w, http.StatusMethodNotAllowed, "Error", "Method not allowed")
		return
	}
	var mine []map[string]any
	for _, x := range s.users {
		if visible(u, x.OrgID) {
			if len(rest) == 1 && x.ID == rest[0] {
				writeJSON(w, 200, userJSON(x))
				return
			}
			mine = append(mine, userJSON(x))
		}
	}
	if len(rest) == 1 {
		writeStatus(w, http.StatusNotFound, "Error", "User not found")
		return
	}
	lo, hi, pages := s.page(r, len(mine))
	data := mine[lo:hi]
	if data == nil {
		data = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"users": data, "pages": pages})
}

func (s *Sim) control(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/__sim/"), "/"), "/")
	switch {
	case parts[0] == "faults" && r.Method == http.MethodPost:
		var in struct {
			Method string `json:"method"`
			Path   string `json:"path"`
			Page   int    `json:"page"`
			Fault
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Path == "" {
			writeStatus(w, 400, "Error", "want {\"path\":...,\"page\":N, fault fields}")
			return
		}
		s.SetFault(in.Method, in.Path, in.Page, in.Fault)
		writeStatus(w, 200, "OK", "fault set")
	case parts[0] == "faults" && r.Method == http.MethodDelete:
		s.ClearFaults()
		writeStatus(w, 200, "OK", "faults cleared")
	case parts[0] == "policies" && len(parts) == 1 && r.Method == http.MethodGet:
		writeJSON(w, 200, s.Policies(r.URL.Query().Get("org")))
	case parts[0] == "policies" && len(parts) == 1 && r.Method == http.MethodPost:
		body, ok := readBody(r)
		if !ok {
			writeStatus(w, 400, "Error", "want a policy object")
			return
		}
		writeStatus(w, 200, "OK", s.AddPolicy(r.URL.Query().Get("org"), body))
	case parts[0] == "policies" && len(parts) == 3 && parts[2] == "tags" && r.Method == http.MethodPost:
		var in struct{ Add, Remove []string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeStatus(w, 400, "Error", "want {\"add\":[],\"remove\":[]}")
			return
		}
		err := s.UpdatePolicy(parts[1], func(p map[string]any) {
			tags := []any{}
			cur, _ := p["tags"].([]any)
			for _, t := range cur {
				drop := false
				for _, rm := range in.Remove {
					drop = drop || t == rm
				}
				if !drop {
					tags = append(tags, t)
				}
			}
			for _, a := range in.Add {
				tags = append(tags, a)
			}
			p["tags"] = tags
		})
		if err != nil {
			writeStatus(w, 404, "Error", err.Error())
			return
		}
		writeStatus(w, 200, "OK", "tags updated")
	case parts[0] == "policies" && len(parts) == 2 && r.Method == http.MethodDelete:
		if err := s.DeletePolicy(parts[1]); err != nil {
			writeStatus(w, 404, "Error", err.Error())
			return
		}
		writeStatus(w, 200, "OK", "deleted")
	case parts[0] == "keys" && r.Method == http.MethodGet:
		writeJSON(w, 200, s.Keys(""))
	case parts[0] == "oauth" && r.Method == http.MethodGet:
		writeJSON(w, 200, s.OAuthClients(r.URL.Query().Get("api")))
	case parts[0] == "requests" && r.Method == http.MethodGet:
		writeJSON(w, 200, s.Requests())
	default:
		writeStatus(w, 404, "Error", "unknown control endpoint")
	}
}
