package catalog

import (
	"time"

	"github.com/tykportal/tykportal/internal/jsonenc"
)

// The catalogue's records are written thousands at a time by a sync. Each
// record type has a hand-written encoder whose bytes are exactly
// json.Marshal's (codec_test.go compares them), which the store uses in
// place of reflection.

// itemRefs points at the fields Products and Plans share, in the order
// both records hold them: a head (id to placeholder) before the kind's own
// fields and a tail (created_at to published_before_hide) after them.
type itemRefs struct {
	id                                                            *uint64
	provider, policyID, policyMID, name, displayName, description *string
	published, hidden, placeholder, publishedBeforeHide           *bool
	hiddenSince, lastSyncedAt                                     **time.Time
	createdAt, updatedAt                                          *time.Time
}

func (p *Product) refs() itemRefs {
	return itemRefs{&p.ID, &p.Provider, &p.PolicyID, &p.PolicyMID, &p.Name, &p.DisplayName, &p.Description,
		&p.Published, &p.Hidden, &p.Placeholder, &p.PublishedBeforeHide, &p.HiddenSince, &p.LastSyncedAt, &p.CreatedAt, &p.UpdatedAt}
}

func (p *Plan) refs() itemRefs {
	return itemRefs{&p.ID, &p.Provider, &p.PolicyID, &p.PolicyMID, &p.Name, &p.DisplayName, &p.Description,
		&p.Published, &p.Hidden, &p.Placeholder, &p.PublishedBeforeHide, &p.HiddenSince, &p.LastSyncedAt, &p.CreatedAt, &p.UpdatedAt}
}

// appendHead opens the record and appends its head fields.
func (r itemRefs) appendHead(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = jsonenc.Uint(b, *r.id)
	b = append(b, `,"provider":`...)
	b = jsonenc.String(b, *r.provider)
	b = append(b, `,"policy_id":`...)
	b = jsonenc.String(b, *r.policyID)
	b = append(b, `,"policy_mid":`...)
	b = jsonenc.String(b, *r.policyMID)
	b = append(b, `,"name":`...)
	b = jsonenc.String(b, *r.name)
	b = append(b, `,"display_name":`...)
	b = jsonenc.String(b, *r.displayName)
	b = append(b, `,"description":`...)
	b = jsonenc.String(b, *r.description)
	b = append(b, `,"published":`...)
	b = jsonenc.Bool(b, *r.published)
	b = append(b, `,"hidden":`...)
	b = jsonenc.Bool(b, *r.hidden)
	b = append(b, `,"hidden_since":`...)
	if b, err = jsonenc.TimePtr(b, *r.hiddenSince); err != nil {
		return nil, err
	}
	b = append(b, `,"placeholder":`...)
	return jsonenc.Bool(b, *r.placeholder), nil
}

// appendTail appends the tail fields and closes the record.
func (r itemRefs) appendTail(b []byte) ([]byte, error) {
	var err error
	b = append(b, `,"created_at":`...)
	if b, err = jsonenc.Time(b, *r.createdAt); err != nil {
		return nil, err
	}
	b = append(b, `,"updated_at":`...)
	if b, err = jsonenc.Time(b, *r.updatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"last_synced_at":`...)
	if b, err = jsonenc.TimePtr(b, *r.lastSyncedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"published_before_hide":`...)
	b = jsonenc.Bool(b, *r.publishedBeforeHide)
	return append(b, '}'), nil
}

// AppendJSON appends the product as json.Marshal encodes it.
func (p Product) AppendJSON(b []byte) ([]byte, error) {
	r := p.refs()
	b, err := r.appendHead(b)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"auth_type":`...)
	b = jsonenc.String(b, p.AuthType)
	b = append(b, `,"apis":`...)
	if p.APIs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, a := range p.APIs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"api_id":`...)
			b = jsonenc.String(b, a.APIID)
			b = append(b, `,"name":`...)
			b = jsonenc.String(b, a.Name)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return r.appendTail(b)
}

// AppendJSON appends the plan as json.Marshal encodes it.
func (p Plan) AppendJSON(b []byte) ([]byte, error) {
	r := p.refs()
	b, err := r.appendHead(b)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"rate":`...)
	if b, err = jsonenc.Float(b, p.Rate); err != nil {
		return nil, err
	}
	b = append(b, `,"per":`...)
	if b, err = jsonenc.Float(b, p.Per); err != nil {
		return nil, err
	}
	b = append(b, `,"quota_max":`...)
	b = jsonenc.Int(b, p.QuotaMax)
	b = append(b, `,"quota_renewal_rate":`...)
	b = jsonenc.Int(b, p.QuotaRenewalRate)
	b = append(b, `,"throttle_interval":`...)
	if b, err = jsonenc.Float(b, p.ThrottleInterval); err != nil {
		return nil, err
	}
	b = append(b, `,"throttle_retry_limit":`...)
	b = jsonenc.Int(b, p.ThrottleRetryLimit)
	b = append(b, `,"key_expires_in":`...)
	b = jsonenc.Int(b, p.KeyExpiresIn)
	return r.appendTail(b)
}

// AppendJSON appends the sync result as json.Marshal encodes it: a first
// sync of 10,000 policies records 10,000 changes.
func (r SyncResult) AppendJSON(b []byte) ([]byte, error) {
	// Room for the whole result at once: ~120 bytes a change or skip.
	if need := 512 + 128*(len(r.Changes)+len(r.Skipped)); cap(b)-len(b) < need {
		b = append(make([]byte, 0, len(b)+need), b...)
	}
	var err error
	b = append(b, `{"provider":`...)
	b = jsonenc.String(b, r.Provider)
	b = append(b, `,"status":`...)
	b = jsonenc.String(b, r.Status)
	b = append(b, `,"error":`...)
	b = jsonenc.String(b, r.Error)
	b = append(b, `,"dry_run":`...)
	b = jsonenc.Bool(b, r.DryRun)
	b = append(b, `,"started_at":`...)
	if b, err = jsonenc.Time(b, r.StartedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"duration_ms":`...)
	b = jsonenc.Int(b, r.DurationMS)
	b = append(b, `,"policies_fetched":`...)
	b = jsonenc.Int(b, int64(r.PoliciesFetched))
	b = append(b, `,"policies_matched":`...)
	b = jsonenc.Int(b, int64(r.PoliciesMatched))
	b = append(b, `,"products":`...)
	b = r.Products.appendJSON(b)
	b = append(b, `,"plans":`...)
	b = r.Plans.appendJSON(b)
	b = append(b, `,"skipped":`...)
	if r.Skipped == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range r.Skipped {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"policy_id":`...)
			b = jsonenc.String(b, s.PolicyID)
			b = append(b, `,"name":`...)
			b = jsonenc.String(b, s.Name)
			b = append(b, `,"reason":`...)
			b = jsonenc.String(b, s.Reason)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"changes":`...)
	if r.Changes == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range r.Changes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"action":`...)
			b = jsonenc.String(b, c.Action)
			b = append(b, `,"kind":`...)
			b = jsonenc.String(b, c.Kind)
			b = append(b, `,"id":`...)
			if c.ID == nil {
				b = append(b, "null"...)
			} else {
				b = jsonenc.Uint(b, *c.ID)
			}
			b = append(b, `,"policy_id":`...)
			b = jsonenc.String(b, c.PolicyID)
			b = append(b, `,"name":`...)
			b = jsonenc.String(b, c.Name)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func (c ChangeCounts) appendJSON(b []byte) []byte {
	b = append(b, `{"created":`...)
	b = jsonenc.Int(b, int64(c.Created))
	b = append(b, `,"updated":`...)
	b = jsonenc.Int(b, int64(c.Updated))
	b = append(b, `,"hidden":`...)
	b = jsonenc.Int(b, int64(c.Hidden))
	b = append(b, `,"restored":`...)
	b = jsonenc.Int(b, int64(c.Restored))
	b = append(b, `,"unchanged":`...)
	b = jsonenc.Int(b, int64(c.Unchanged))
	return append(b, '}')
}
