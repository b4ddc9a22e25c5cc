package dashboardtest

import "net/http"

// Answers in which a real Dashboard differs from what a client would guess;
// each names the Tyk material it follows (see docs/reference.md, "Wire
// details and Dashboard differences").

// usersMeRefused answers /api/users/me as a Dashboard does that holds to
// its spec ("needs a session cookie"): 401 to the API secret alone, or 404
// where the endpoint is off. It reports whether it answered.
func (s *Sim) usersMeRefused(w http.ResponseWriter) bool {
	switch {
	case s.opts.UsersMeUnauthorized:
		writeStatus(w, http.StatusUnauthorized, "Error", "Not authorised")
	case !s.opts.UsersMe:
		writeStatus(w, http.StatusNotFound, "Error", "Not found")
	default:
		return false
	}
	return true
}

// keyListRefused answers GET /api/apis/{id}/keys as the Dashboard's spec
// says: 404 "Could not retrieve keys." when keys are hashed and hashed key
// listing is disabled (enable_hashed_keys_listing off). With hashing off
// the list works and holds the keys themselves (the spec's example lists
// org-prefixed keys).
func (s *Sim) keyListRefused(w http.ResponseWriter) bool {
	if s.opts.HashKeys && s.opts.NoHashedKeyListing {
		writeStatus(w, http.StatusNotFound, "Error", "Could not retrieve keys.")
		return true
	}
	return false
}

// hashedRefused answers a key request with ?hashed=true to a Dashboard with
// hashing off: refused with 400, in the words of the gateway's spec
// (GET /tyk/keys/{keyID}), whose answer the Dashboard passes on.
func (s *Sim) hashedRefused(w http.ResponseWriter, hashed bool) bool {
	if hashed && !s.opts.HashKeys {
		writeStatus(w, http.StatusBadRequest, "Error", "Key requested by hash but key hashing is not enabled.")
		return true
	}
	return false
}

// oauthMetaMalformed reports whether an OAuth client body's meta_data is
// not string to string, as the Dashboard's spec types it; the Dashboard
// then fails to read the body.
func oauthMetaMalformed(body map[string]any) bool {
	meta, ok := body["meta_data"]
	if !ok || meta == nil {
		return false
	}
	m, ok := meta.(map[string]any)
	if !ok {
		return true
	}
	for _, v := range m {
		if _, ok := v.(string); !ok {
			return true
		}
	}
	return false
}
