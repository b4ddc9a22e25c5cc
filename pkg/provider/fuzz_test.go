package provider

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// FuzzParseTags: accepted lists hold only non-empty, space-free, unique
// tags that join back to the input; everything else is ErrInvalid.
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"", "portal", "a,b", "a, b", "a,,b", ",", "a,a", "\x00", "ü,ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tags, err := ParseTags(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error is not ErrInvalid: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, tag := range tags {
			if tag == "" || strings.IndexFunc(tag, unicode.IsSpace) >= 0 || seen[tag] {
				t.Fatalf("accepted bad tag %q in %q", tag, in)
			}
			seen[tag] = true
		}
		if strings.Join(tags, ",") != in {
			t.Fatalf("%q parsed to %q", in, tags)
		}
	})
}

// FuzzNormalizeURL: an accepted URL is absolute http(s) with a host, no
// user info, query or trailing slash, and normalising it again changes nothing.
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{"https://x.example.com/", "HTTP://A:80", "ftp://x", "http://u:p@x", "http://x/?a", "http://[::1]:3000/a/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := NormalizeURL("--url", in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error is not ErrInvalid: %v", err)
			}
			return
		}
		u, perr := url.Parse(out)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || strings.HasSuffix(out, "/") {
			t.Fatalf("%q normalised to bad %q", in, out)
		}
		again, err := NormalizeURL("--url", out)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, out, again, err)
		}
	})
}
