package provider

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{
		"prod": true, "prod-eu": true, "p_1": true, "0": true,
		"": false, "Prod": false, "a/b": false, "..": false, "-x": false, "a b": false,
		"a\nb": false, "\x1b[31m": false, strings.Repeat("a", 64): false, strings.Repeat("a", 63): true,
	} {
		err := ValidateName(name)
		if (err == nil) != ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", name, err, ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateName(%q) error is not ErrInvalid", name)
		}
	}
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want, errPart string }{
		{"HTTPS://Dash.Example.COM:3000/", "https://dash.example.com:3000", ""},
		{"http://127.0.0.1:3000", "http://127.0.0.1:3000", ""},
		{"https://x.example.com/prefix//", "https://x.example.com/prefix", ""},
		{"", "", "is empty"},
		{"ftp://x", "", "must start with http"},
		{"dash.example.com", "", "must start with http"},
		{"http://", "", "has no host"},
		{"https://u:p@x.example.com", "", "user name or password"},
		{"https://x.example.com/?a=1", "", "query or fragment"},
		{"https://x.example.com/#f", "", "query or fragment"},
		{"https://x.example.com/a b", "", "spaces or control"},
		{"https://x.example.com/\x00", "", "spaces or control"},
	}
	for _, tc := range tests {
		got, err := NormalizeURL("--url", tc.in)
		if tc.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) || !errors.Is(err, ErrInvalid) {
				t.Errorf("NormalizeURL(%q) err %v, want %q", tc.in, err, tc.errPart)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTags(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		errPart string
	}{
		{"", []string{}, ""},
		{"portal", []string{"portal"}, ""},
		{"a,b", []string{"a", "b"}, ""},
		{"a, b", nil, "contains a space"},
		{"a,,b", nil, "empty item at position 2"},
		{",a", nil, "empty item at position 1"},
		{"a,", nil, "empty item at position 2"},
		{"a,a", nil, "listed twice"},
		{"a\tb", nil, "contains a space"},
		{"a\x01", nil, "control characters"},
	}
	for _, tc := range tests {
		got, err := ParseTags(tc.in)
		if tc.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("ParseTags(%q) err %v, want %q", tc.in, err, tc.errPart)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseTags(%q) = %#v, %v", tc.in, got, err)
		}
	}
}

func TestCheckCAFile(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "x.txt")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	badCert := filepath.Join(dir, "bad.pem")
	os.WriteFile(badCert, []byte("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n"), 0o600)
	for path, part := range map[string]string{
		filepath.Join(dir, "missing.pem"): "cannot be read",
		notPEM:                            "no PEM certificate",
		badCert:                           "does not parse",
	} {
		if _, err := CheckCAFile(path); err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("CheckCAFile(%s) err %v, want %q", path, err, part)
		}
	}
	if got, err := CheckCAFile(""); got != "" || err != nil {
		t.Errorf("empty CA file: %q %v", got, err)
	}
}

func TestMatchesTags(t *testing.T) {
	tests := []struct {
		provider, policy []string
		want             bool
	}{
		{nil, nil, true},
		{nil, []string{"x"}, true},
		{[]string{"portal"}, nil, false},
		{[]string{"portal"}, []string{"internal", "portal"}, true},
		{[]string{"a", "b"}, []string{"b"}, true},
		{[]string{"portal"}, []string{"Portal"}, false},
	}
	for _, tc := range tests {
		if got := MatchesTags(tc.provider, tc.policy); got != tc.want {
			t.Errorf("MatchesTags(%v, %v) = %v", tc.provider, tc.policy, got)
		}
	}
}
