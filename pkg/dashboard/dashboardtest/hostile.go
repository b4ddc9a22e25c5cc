package dashboardtest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// The faults of a hostile Dashboard: one that lies about the size of a
// list, answers a page short, echoes the secret it was sent, or never
// stops sending. Each is what a broken proxy, a buggy Dashboard version or
// a malicious host could answer; the client must fail clearly and bounded.

// rewritePage replaces a list answer's page count by pages (when not 0)
// and its list by an empty one or null (short: "empty", "null"). The list
// is the member holding an array (or null) other than the page count, as
// "Data", "apis", "users" and "keys" are. A body that is not an object is
// left as it is.
func rewritePage(body []byte, pages int, short string) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return body
	}
	for k, v := range m {
		switch t := bytes.TrimSpace(v); {
		case strings.EqualFold(k, "pages"):
			if pages != 0 {
				m[k], _ = json.Marshal(pages)
			}
		case short == "empty" && (len(t) > 0 && t[0] == '[' || string(t) == "null"):
			m[k] = json.RawMessage("[]")
		case short == "null" && len(t) > 0 && t[0] == '[':
			m[k] = json.RawMessage("null")
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// echoSecret is an error message that holds the request's secret (its raw
// Authorization header) in the given encoding, as a Dashboard or a proxy
// in front of it might when it logs the request into its answer.
func echoSecret(r *http.Request, encoding string) string {
	sec := r.Header.Get("Authorization")
	var shown string
	switch encoding {
	case "base64":
		shown = base64.StdEncoding.EncodeToString([]byte(sec))
	case "hex":
		shown = hex.EncodeToString([]byte(sec))
	case "url":
		shown = url.QueryEscape(sec)
	default:
		shown = sec
	}
	return "invalid authorization " + shown + " for this request"
}

// streamEndless sends a 200 whose body never ends, until the client hangs
// up: one item with an endless name ("string"), or an endless list of
// small items ("list"). It is written as it goes, so the simulator itself
// holds only one chunk.
func streamEndless(w http.ResponseWriter, r *http.Request, kind string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	var head, chunk []byte
	if kind == "list" {
		head = []byte(`{"Pages":1,"Data":[`)
		item := []byte(`{"_id":"5fd08e0f69710900018bc1aa","name":"endless","tags":["portal"]},`)
		chunk = bytes.Repeat(item, (64<<10)/len(item))
	} else {
		head = []byte(`{"Pages":1,"Data":[{"name":"`)
		chunk = bytes.Repeat([]byte{'x'}, 64<<10)
	}
	if _, err := w.Write(head); err != nil {
		return
	}
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}
