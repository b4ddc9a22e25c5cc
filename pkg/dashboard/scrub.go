package dashboard

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// secretPattern matches the secret as a Dashboard, or a proxy in front of
// it, may put it back into an answer: verbatim, base64 (standard or URL
// alphabet, padded or not), hex, or URL-encoded. Hex and URL escapes match
// in either case ("%2F" and "%2f" decode alike). Any text of an answer is
// shown only after these are replaced, so an error never prints the
// secret in any of these forms. Nil for no secret.
func secretPattern(secret string) *regexp.Regexp {
	if secret == "" {
		return nil
	}
	b := []byte(secret)
	exact := []string{
		secret,
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
	}
	folded := []string{hex.EncodeToString(b), url.QueryEscape(secret), url.PathEscape(secret)}
	type form struct {
		s    string
		fold bool
	}
	var forms []form
	for _, s := range exact {
		forms = append(forms, form{s, false})
	}
	for _, s := range folded {
		forms = append(forms, form{s, true})
	}
	// The longest first: a padded base64 form wins over its unpadded prefix.
	slices.SortStableFunc(forms, func(a, b form) int { return cmp.Compare(len(b.s), len(a.s)) })
	alts := make([]string, 0, len(forms))
	for _, f := range forms {
		q := regexp.QuoteMeta(f.s)
		if f.fold {
			q = "(?i:" + q + ")"
		}
		if !slices.Contains(alts, q) {
			alts = append(alts, q)
		}
	}
	return regexp.MustCompile(strings.Join(alts, "|"))
}

// scrubSecret replaces every form of the secret in s.
func (c *Client) scrubSecret(s string) string {
	if c.secretRE == nil {
		return s
	}
	return c.secretRE.ReplaceAllLiteralString(s, "[secret]")
}
