// Package doctor finds Dashboard objects that tykportal created but has no
// local record of. Every create is journaled (catalog.Operation) and marks
// its object's meta_data; an operation still in the journal was interrupted
// (a crash, a lost answer, a local write that failed), and doctor asks the
// Dashboard whether the object exists, and with Repair deletes it.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/store"
	"github.com/tykportal/tykportal/pkg/store/repo"
)

// State is what the Dashboard holds for an interrupted operation.
type State string

// The states of a finding.
const (
	// Orphan: the object exists in the Dashboard and no local record refers
	// to it. Nobody received its key or secret; Repair deletes it.
	Orphan State = "orphan"
	// Absent: the Dashboard has no object with the operation's marker that
	// lacks a local record (for keys, recorded keys are not read): the
	// create never took effect, or its record exists. Nothing to clean up.
	Absent State = "absent"
	// Adopted: the object exists and a local record refers to it now (a sync
	// imported the policy). Nothing to clean up.
	Adopted State = "adopted"
	// Unverified: the Dashboard could not be asked; Detail says why.
	Unverified State = "unverified"
)

// Finding is one interrupted operation and what the Dashboard holds for it.
type Finding struct {
	Operation catalog.Operation `json:"operation"`
	State     State             `json:"state"`
	// ObjectID is the policy's _id, the key's hash or the OAuth client id;
	// empty when not found, or when the only id is the key itself (hashing off).
	ObjectID string `json:"object_id,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Repaired bool   `json:"repaired"`
}

// DefaultGrace is how old an operation must be before an absent object is
// taken as never created: a request of a killed process can still be on its
// way through proxies and the Dashboard, and create the object after doctor
// looked.
const DefaultGrace = 5 * time.Minute

// Settled reports whether the operation can leave the journal: nothing of it
// is left in the Dashboard without a local record, and (when absent) it is
// older than grace.
func (f Finding) Settled(now time.Time, grace time.Duration) bool {
	switch {
	case f.Repaired, f.State == Adopted:
		return true
	case f.State == Absent:
		return now.Sub(f.Operation.StartedAt) >= grace
	}
	return false
}

// Dashboard is what doctor needs of a Dashboard client.
type Dashboard interface {
	ListPolicies(ctx context.Context) ([]dashboard.Policy, error)
	ListAPIKeys(ctx context.Context, apiID string) ([]string, error)
	GetKey(ctx context.Context, keyHash string) (*dashboard.KeyInfo, error)
	ListOAuthClients(ctx context.Context, apiID string) ([]dashboard.OAuthClient, error)
	DeletePolicy(ctx context.Context, mid string) error
	DeleteKey(ctx context.Context, keyHash string) error
	DeleteOAuthClient(ctx context.Context, apiID, clientID string) error
}

// Known is what the local records refer to.
type Known struct {
	PolicyMIDs map[string]bool
	// CombinedMIDs are the combined OAuth policies credential records are
	// bound to (catalog.Credential.PolicyMID).
	CombinedMIDs map[string]bool
	KeyHashes    map[string]bool
	ClientIDs    map[string]bool
}

// KnownFrom collects the Dashboard objects the local records of provider
// refer to.
func KnownFrom(tx store.Tx, provider string) (Known, error) {
	k := Known{PolicyMIDs: map[string]bool{}, CombinedMIDs: map[string]bool{}, KeyHashes: map[string]bool{}, ClientIDs: map[string]bool{}}
	products, err := repo.ListProducts(tx, provider, catalog.AllItems)
	if err != nil {
		return k, err
	}
	for _, p := range products {
		k.PolicyMIDs[p.PolicyMID] = true
	}
	plans, err := repo.ListPlans(tx, provider, catalog.AllItems)
	if err != nil {
		return k, err
	}
	for _, p := range plans {
		k.PolicyMIDs[p.PolicyMID] = true
	}
	creds, err := repo.ListCredentials(tx, repo.CredentialFilter{Provider: provider})
	if err != nil {
		return k, err
	}
	for _, c := range creds {
		if c.KeyHash != "" {
			k.KeyHashes[c.KeyHash] = true
		}
		if c.ClientID != "" {
			k.ClientIDs[c.ClientID] = true
		}
		if c.PolicyMID != "" {
			k.CombinedMIDs[c.PolicyMID] = true
		}
	}
	return k, nil
}

// MaxKeyLookups bounds how many unknown keys of one API doctor reads to find
// markers; past it the operation is reported unverified rather than letting
// a Dashboard with a million keys keep doctor busy for hours.
const MaxKeyLookups = 2000

// Check asks the Dashboard about each operation of one provider. orgID is
// the provider's organisation: a listed key id that starts with it is a key
// itself (hashing is off), which is never put into a finding.
func Check(ctx context.Context, d Dashboard, orgID string, ops []catalog.Operation, known Known) []Finding {
	c := checker{ctx: ctx, d: d, orgID: orgID, known: known, keysByAPI: map[string]markerIndex{}, clientsByAPI: map[string]markerIndex{}}
	out := make([]Finding, 0, len(ops))
	for _, op := range ops {
		f := Finding{Operation: op}
		switch op.Object {
		case catalog.ObjectPolicy:
			c.policy(&f)
		case catalog.ObjectKey:
			c.key(&f)
		case catalog.ObjectOAuthClient:
			c.oauthClient(&f)
		default:
			f.State, f.Detail = Unverified, fmt.Sprintf("unknown object kind %q (written by a newer tykportal?)", op.Object)
		}
		out = append(out, f)
	}
	return out
}

// markerIndex maps the markers found on one API's keys or OAuth clients to
// their ids, or holds why they could not be listed.
type markerIndex struct {
	byMarker map[string]string
	err      error
}

// indexFor builds an API's index once per check.
func indexFor(cache map[string]markerIndex, apiID string, build func(apiID string) markerIndex) markerIndex {
	idx, ok := cache[apiID]
	if !ok {
		idx = build(apiID)
		cache[apiID] = idx
	}
	return idx
}

type checker struct {
	ctx      context.Context
	d        Dashboard
	orgID    string
	known    Known
	policies map[string]string // marker → _id
	polErr   error
	polDone  bool

	keysByAPI    map[string]markerIndex
	clientsByAPI map[string]markerIndex
}

func unverified(f *Finding, what string, err error) {
	f.State, f.Detail = Unverified, fmt.Sprintf("%s: %v", what, err)
}

func (c *checker) policy(f *Finding) {
	if !c.polDone {
		c.polDone = true
		pols, err := c.d.ListPolicies(c.ctx)
		c.polErr = err
		c.policies = map[string]string{}
		for _, p := range pols {
			if m := catalog.MarkerOf(p.MetaData); m != "" {
				c.policies[m] = p.MID
			}
		}
	}
	if c.polErr != nil {
		unverified(f, "list the policies", c.polErr)
		return
	}
	mid, ok := c.policies[f.Operation.Marker]
	switch {
	case !ok:
		f.State = Absent
	case c.known.PolicyMIDs[mid]:
		f.State, f.ObjectID, f.Detail = Adopted, mid, "a local product or plan uses this policy (a sync imported it)"
	case c.known.CombinedMIDs[mid]:
		f.State, f.ObjectID, f.Detail = Adopted, mid, "an OAuth credential is bound to this combined policy (a later issue of the same product and plan used it)"
	default:
		f.State, f.ObjectID = Orphan, mid
	}
}

func (c *checker) key(f *Finding) {
	if stale := f.Operation.Stale; stale != "" {
		c.staleKey(f, stale)
		return
	}
	apiID := f.Operation.APIID
	ks := indexFor(c.keysByAPI, apiID, c.searchKeys)
	switch {
	case errors.Is(ks.err, dashboard.ErrNotFound):
		// Rarely "the API is gone": the Dashboard answers its key list 404
		// "Could not retrieve keys." when keys are hashed and hashed key
		// listing is disabled (its spec).
		f.State, f.Detail = Unverified, fmt.Sprintf("the Dashboard does not list the keys of API %s (404 \"Could not retrieve keys.\", its answer when keys are hashed and hashed key listing is disabled): set enable_hashed_keys_listing: true in its configuration, or look for a key with alias %q in the Dashboard", apiID, f.Operation.Name)
		return
	case errors.Is(ks.err, errHashedRefused):
		f.State, f.Detail = Unverified, fmt.Sprintf("%v: look for a key with alias %q in the Dashboard", ks.err, f.Operation.Name)
		return
	case ks.err != nil:
		unverified(f, fmt.Sprintf("look for the key among the keys of API %s", apiID), ks.err)
		return
	}
	id, ok := ks.byMarker[f.Operation.Marker]
	switch {
	case !ok:
		f.State = Absent
	default:
		f.State = Orphan
		if c.plainKey(id) {
			f.Detail = "key hashing is off in this Dashboard, so the key's only id is the key itself and is not shown; find it by its alias"
		} else {
			f.ObjectID = id
		}
	}
}

// staleKey checks a key that a finished rotation meant to delete.
func (c *checker) staleKey(f *Finding, hash string) {
	_, err := c.d.GetKey(c.ctx, hash)
	switch {
	case errors.Is(err, dashboard.ErrNotFound):
		f.State = Absent
	case errors.Is(err, dashboard.ErrRejected):
		unverified(f, "read the replaced key", errHashedRefused)
	case err != nil:
		unverified(f, "read the replaced key", err)
	case c.known.KeyHashes[hash]:
		f.State, f.ObjectID = Adopted, hash
	default:
		f.State, f.ObjectID = Orphan, hash
		f.Detail = "the key this rotation replaced still works; its credential has the new key"
	}
}

// errHashedRefused: the Dashboard refused a key lookup by hash (400), as
// one with key hashing off refuses ?hashed=true.
var errHashedRefused = errors.New("the Dashboard refused to look a key up by its hash (?hashed=true; a Dashboard with key hashing off refuses it with 400)")

// plainKey reports whether a listed key id is a key rather than a hash:
// Tyk's generated keys start with the organisation id.
func (c *checker) plainKey(id string) bool {
	return c.orgID != "" && len(id) > len(c.orgID) && strings.HasPrefix(id, c.orgID)
}

// searchKeys reads the keys of an API that no local record refers to and
// maps their markers to their ids.
func (c *checker) searchKeys(apiID string) markerIndex {
	ids, err := c.d.ListAPIKeys(c.ctx, apiID)
	if err != nil {
		return markerIndex{err: err}
	}
	ks := markerIndex{byMarker: map[string]string{}}
	looked := 0
	for _, id := range ids {
		if c.known.KeyHashes[id] {
			continue
		}
		if looked == MaxKeyLookups {
			return markerIndex{err: fmt.Errorf("the API has more than %d keys without a local record; look for the marker in the Dashboard", MaxKeyLookups)}
		}
		looked++
		info, err := c.d.GetKey(c.ctx, id)
		if errors.Is(err, dashboard.ErrNotFound) {
			continue // deleted since the list was read
		}
		if errors.Is(err, dashboard.ErrRejected) {
			// Its text names the path, which holds the key when hashing is off.
			return markerIndex{err: errHashedRefused}
		}
		if err != nil {
			return markerIndex{err: err}
		}
		if m := catalog.MarkerOf(info.MetaData); m != "" {
			ks.byMarker[m] = id
		}
	}
	return ks
}

func (c *checker) oauthClient(f *Finding) {
	apiID := f.Operation.APIID
	cs := indexFor(c.clientsByAPI, apiID, c.searchClients)
	if cs.err != nil {
		unverified(f, fmt.Sprintf("list the OAuth clients of API %s", apiID), cs.err)
		return
	}
	id, ok := cs.byMarker[f.Operation.Marker]
	switch {
	case !ok:
		f.State = Absent
	case c.known.ClientIDs[id]:
		f.State, f.ObjectID = Adopted, id
	default:
		f.State, f.ObjectID = Orphan, id
	}
}

// searchClients maps the markers of an API's OAuth clients to their ids.
func (c *checker) searchClients(apiID string) markerIndex {
	clients, err := c.d.ListOAuthClients(c.ctx, apiID)
	cs := markerIndex{byMarker: map[string]string{}, err: err}
	for _, cl := range clients {
		if m := catalog.MarkerOf(cl.MetaData); m != "" {
			cs.byMarker[m] = cl.ClientID
		}
	}
	return cs
}

// Repair deletes an orphan's object from the Dashboard. Nobody received the
// key or secret of an orphan, and a policy the command never reported is not
// a product anyone published, so deleting is the undo of the interrupted
// command. An orphan key whose id cannot be shown cannot be deleted by hash
// and is left for the admin.
func Repair(ctx context.Context, d Dashboard, f *Finding) error {
	if f.State != Orphan || f.Repaired {
		return nil
	}
	var err error
	switch f.Operation.Object {
	case catalog.ObjectPolicy:
		err = d.DeletePolicy(ctx, f.ObjectID)
	case catalog.ObjectKey:
		if f.ObjectID == "" {
			return fmt.Errorf("the key with alias %q cannot be deleted by hash (key hashing is off): delete it in the Dashboard", f.Operation.Name)
		}
		err = d.DeleteKey(ctx, f.ObjectID)
	case catalog.ObjectOAuthClient:
		err = d.DeleteOAuthClient(ctx, f.Operation.APIID, f.ObjectID)
	}
	if err != nil && !errors.Is(err, dashboard.ErrNotFound) {
		return fmt.Errorf("delete the %s %s: %w", f.Operation.Object, f.ObjectID, err)
	}
	f.Repaired = true
	return nil
}
