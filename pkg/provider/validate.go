package provider

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tykportal/tykportal/pkg/catalog"
)

// ErrInvalid marks input that fails validation: the domain's one.
var ErrInvalid = catalog.ErrInvalid

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Names are lower-case so that the environment variable derived from a name
// (TYKPORTAL_SECRET_<NAME>) is one-to-one with it, and safe as a keyring user,
// a file name and a table cell.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidateName checks a provider name.
func ValidateName(name string) error {
	if name == "" {
		return invalid("the provider name is empty")
	}
	if !nameRE.MatchString(name) {
		return invalid("provider name %q is not allowed: use 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit", printable(name))
	}
	return nil
}

// NormalizeURL checks that raw is an absolute http(s) URL and returns it with
// scheme and host lower-cased and no trailing slash. what names the flag.
func NormalizeURL(what, raw string) (string, error) {
	if raw == "" {
		return "", invalid("%s is empty", what)
	}
	if !utf8.ValidString(raw) || strings.IndexFunc(raw, unicode.IsControl) >= 0 || strings.ContainsAny(raw, " \t") {
		return "", invalid("%s %q contains spaces or control characters", what, printable(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", invalid("%s %q is not a URL: %v", what, printable(raw), err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", invalid("%s %q must start with http:// or https://", what, printable(raw))
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", invalid("%s %q has no host", what, printable(raw))
	}
	if u.User != nil {
		return "", invalid("%s must not contain a user name or password; the secret is read separately", what)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", invalid("%s %q has port %s; a port is 1 to 65535", what, printable(raw), port)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", invalid("%s %q has an empty port", what, printable(raw))
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", invalid("%s %q must not have a query or fragment", what, printable(raw))
	}
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// ParseTags parses a policy tag list: comma-separated, no spaces, no empty
// items, no duplicates. An empty string is an empty list (import everything).
func ParseTags(raw string) ([]string, error) {
	if raw == "" {
		return []string{}, nil
	}
	parts := strings.Split(raw, ",")
	seen := make(map[string]bool, len(parts))
	tags := make([]string, 0, len(parts))
	for i, t := range parts {
		switch {
		case t == "":
			return nil, invalid("policy tag list %q has an empty item at position %d: write tags as tag1,tag2", printable(raw), i+1)
		case strings.IndexFunc(t, unicode.IsSpace) >= 0:
			return nil, invalid("policy tag %q contains a space: write tags as tag1,tag2 without spaces", printable(t))
		case !utf8.ValidString(t) || strings.IndexFunc(t, unicode.IsControl) >= 0:
			return nil, invalid("policy tag %q contains control characters or invalid UTF-8", printable(t))
		case len(t) > 128:
			return nil, invalid("policy tag at position %d is longer than 128 characters", i+1)
		case seen[t]:
			return nil, invalid("policy tag %q is listed twice", printable(t))
		}
		seen[t] = true
		tags = append(tags, t)
	}
	return tags, nil
}

// ValidateOrgID checks an org id: free text from the Dashboard, but one
// token without spaces or control characters.
func ValidateOrgID(id string) error {
	if len(id) > 128 {
		return invalid("org id is longer than 128 characters")
	}
	if !utf8.ValidString(id) || strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return invalid("org id %q contains spaces or control characters", printable(id))
	}
	return nil
}

// CheckCAFile checks that path exists and holds at least one PEM certificate,
// and returns its absolute path (the tool may run from another directory later).
func CheckCAFile(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", invalid("CA file %q cannot be read: %v", printable(path), unwrapPathError(err))
	}
	found := false
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(block.Bytes); err != nil {
				return "", invalid("CA file %q holds a certificate that does not parse: %v", printable(path), err)
			}
			found = true
		}
	}
	if !found {
		return "", invalid("CA file %q holds no PEM certificate", printable(path))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", invalid("CA file %q: %v", printable(path), err)
	}
	return abs, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// printable cuts long input and makes control characters visible, so an
// error message never echoes a megabyte or an escape sequence back.
func printable(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}
