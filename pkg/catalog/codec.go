package catalog

import (
	"github.com/tykportal/tykportal/internal/jsonenc"
)

// The catalogue's records are written thousands at a time by a sync. Each
// record type has a hand-written encoder whose bytes are exactly
// json.Marshal's (codec_test.go compares them), which the store uses in
// place of reflection.

// AppendJSON appends the product as json.Marshal encodes it.
func (p Product) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = jsonenc.Uint(b, p.ID)
	b = append(b, `,"provider":`...)
	b = jsonenc.String(b, p.Provider)
	b = append(b, `,"policy_id":`...)
	b = jsonenc.String(b, p.PolicyID)
	b = append(b, `,"policy_mid":`...)
	b = jsonenc.String(b, p.PolicyMID)
	b = append(b, `,"name":`...)
	b = jsonenc.String(b, p.Name)
	b = append(b, `,"display_name":`...)
	b = jsonenc.String(b, p.DisplayName)
	b = append(b, `,"description":`...)
	b = jsonenc.String(b, p.Description)
	b = append(b, `,"published":`...)
	b = jsonenc.Bool(b, p.Published)
	b = append(b, `,"hidden":`...)
	b = jsonenc.Bool(b, p.Hidden)
	b = append(b, `,"hidden_since":`...)
	if b, err = jsonenc.TimePtr(b, p.HiddenSince); err != nil {
		return nil, err
	}
	b = append(b, `,"placeholder":`...)
	b = jsonenc.Bool(b, p.Placeholder)
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
	b = append(b, `,"created_at":`...)
	if b, err = jsonenc.Time(b, p.CreatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"updated_at":`...)
	if b, err = jsonenc.Time(b, p.UpdatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"last_synced_at":`...)
	if b, err = jsonenc.TimePtr(b, p.LastSyncedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"published_before_hide":`...)
	b = jsonenc.Bool(b, p.PublishedBeforeHide)
	return append(b, '}'), nil
}

// AppendJSON appends the plan as json.Marshal encodes it.
func (p Plan) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = jsonenc.Uint(b, p.ID)
	b = append(b, `,"provider":`...)
	b = jsonenc.String(b, p.Provider)
	b = append(b, `,"policy_id":`...)
	b = jsonenc.String(b, p.PolicyID)
	b = append(b, `,"policy_mid":`...)
	b = jsonenc.String(b, p.PolicyMID)
	b = append(b, `,"name":`...)
	b = jsonenc.String(b, p.Name)
	b = append(b, `,"display_name":`...)
	b = jsonenc.String(b, p.DisplayName)
	b = append(b, `,"description":`...)
	b = jsonenc.String(b, p.Description)
	b = append(b, `,"published":`...)
	b = jsonenc.Bool(b, p.Published)
	b = append(b, `,"hidden":`...)
	b = jsonenc.Bool(b, p.Hidden)
	b = append(b, `,"hidden_since":`...)
	if b, err = jsonenc.TimePtr(b, p.HiddenSince); err != nil {
		return nil, err
	}
	b = append(b, `,"placeholder":`...)
	b = jsonenc.Bool(b, p.Placeholder)
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
	b = append(b, `,"created_at":`...)
	if b, err = jsonenc.Time(b, p.CreatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"updated_at":`...)
	if b, err = jsonenc.Time(b, p.UpdatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"last_synced_at":`...)
	if b, err = jsonenc.TimePtr(b, p.LastSyncedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"published_before_hide":`...)
	b = jsonenc.Bool(b, p.PublishedBeforeHide)
	return append(b, '}'), nil
}
