package catalog

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// ValidateConsumer checks that a consumer is one plain e-mail address.
func ValidateConsumer(email string) error {
	if email == "" {
		return fmt.Errorf("%w: --consumer is required: the consumer's e-mail address", ErrInvalid)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || len(email) > 254 || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
		return fmt.Errorf("%w: consumer %q is not a valid e-mail address", ErrInvalid, truncate(email))
	}
	return nil
}

// CheckIssuable applies the reference portal's rules to a credential
// request: product and plan of the same provider, both visible and published.
func CheckIssuable(prod Product, plan Plan) error {
	switch {
	case prod.Provider != plan.Provider:
		return fmt.Errorf("%w: product %d belongs to provider %q and plan %d to provider %q; a credential combines a product and a plan of the same provider", ErrInvalid, prod.ID, prod.Provider, plan.ID, plan.Provider)
	case prod.Hidden:
		return fmt.Errorf("%w: product %d is hidden (its policy was not retrieved by the last sync)", ErrInvalid, prod.ID)
	case plan.Hidden:
		return fmt.Errorf("%w: plan %d is hidden (its policy was not retrieved by the last sync)", ErrInvalid, plan.ID)
	case !prod.Published:
		return fmt.Errorf("%w: product %d is not published; publish it first with `tykportal products publish %d`", ErrInvalid, prod.ID, prod.ID)
	case !plan.Published:
		return fmt.Errorf("%w: plan %d is not published; publish it first with `tykportal plans publish %d`", ErrInvalid, plan.ID, plan.ID)
	case len(prod.APIs) == 0:
		return fmt.Errorf("%w: product %d grants no API", ErrInvalid, prod.ID)
	}
	return nil
}

// IsOAuth reports whether a product's credentials are OAuth 2.0 clients
// rather than keys.
func IsOAuth(prod Product) bool { return prod.AuthType == "oauth" }

// KeyMetaData is the meta data a key carries so that analytics can tell
// consumers, products and plans apart.
func KeyMetaData(consumer string, prod Product, plan Plan) map[string]any {
	return map[string]any{
		"tykportal_consumer":   consumer,
		"tykportal_product":    prod.Name,
		"tykportal_product_id": prod.ID,
		"tykportal_plan":       plan.Name,
		"tykportal_plan_id":    plan.ID,
	}
}

// KeyExpiry is when a key issued now on plan expires: nil for never.
func KeyExpiry(plan Plan, now time.Time) *time.Time {
	if plan.KeyExpiresIn <= 0 {
		return nil
	}
	t := now.Add(time.Duration(plan.KeyExpiresIn) * time.Second).UTC().Truncate(time.Second)
	return &t
}
