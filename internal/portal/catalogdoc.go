package portal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tykportal/tykportal/pkg/catalog"
	"github.com/tykportal/tykportal/pkg/dashboard"
	"github.com/tykportal/tykportal/pkg/provider"
)

// The catalogue document: what `export` writes and `diff`/`apply` read.
// It is keyed by names that survive a new state file or a new Dashboard
// (providers by name, products and plans by their policy name within a
// provider, or an explicit key), never by local ids. Its JSON Schema is
// docs/catalog.schema.json; a change here changes the schema too.

// CatalogVersion is the one version of the document this tykportal reads
// and writes.
const CatalogVersion = 1

// CatalogSchemaURL is where editors find the document's JSON Schema (the
// file docs/catalog.schema.json of this repository).
const CatalogSchemaURL = "https://raw.githubusercontent.com/tykportal/tykportal/main/docs/catalog.schema.json"

// CatalogDoc is the whole document.
type CatalogDoc struct {
	Version   int           `json:"version" yaml:"version"`
	Providers []ProviderDoc `json:"providers" yaml:"providers"`
}

// ProviderDoc is one provider: everything but its secret, and its items.
// A nil Products or Plans means the file says nothing about that kind
// (apply --prune then leaves it alone); an empty list means "none".
type ProviderDoc struct {
	Name               string        `json:"name" yaml:"name"`
	Type               string        `json:"type" yaml:"type"`
	URL                string        `json:"url" yaml:"url"`
	GatewayURL         string        `json:"gateway_url" yaml:"gateway_url"`
	OrgID              string        `json:"org_id" yaml:"org_id"`
	PolicyTags         []string      `json:"policy_tags" yaml:"policy_tags"`
	InsecureSkipVerify bool          `json:"insecure_skip_verify" yaml:"insecure_skip_verify"`
	CAFile             string        `json:"ca_file" yaml:"ca_file"`
	Products           *[]ProductDoc `json:"products,omitempty" yaml:"products,omitempty"`
	Plans              *[]PlanDoc    `json:"plans,omitempty" yaml:"plans,omitempty"`

	line int
}

// ProductDoc is one product: its policy's definition (owned by the
// Dashboard) and its local fields.
type ProductDoc struct {
	// Key identifies the product within its provider when it is not its
	// name: apply renames the product found by Key to Name.
	Key         string   `json:"key,omitempty" yaml:"key,omitempty"`
	Name        string   `json:"name" yaml:"name"`
	DisplayName string   `json:"display_name" yaml:"display_name"`
	Description string   `json:"description" yaml:"description"`
	Published   bool     `json:"published" yaml:"published"`
	Hidden      bool     `json:"hidden,omitempty" yaml:"hidden,omitempty"`
	AuthType    string   `json:"auth_type" yaml:"auth_type"`
	APIs        []APIDoc `json:"apis" yaml:"apis"`
	Tags        []string `json:"tags" yaml:"tags"`
	Fingerprint string   `json:"fingerprint,omitempty" yaml:"fingerprint,omitempty"`

	line int
}

// APIDoc names one API of a product by id and by name, so that another
// Dashboard's API can be found by its name.
type APIDoc struct {
	APIID string `json:"api_id" yaml:"api_id"`
	Name  string `json:"name" yaml:"name"`
	// ListenPath finds the API in another Dashboard when neither its id
	// nor its name does.
	ListenPath string `json:"listen_path,omitempty" yaml:"listen_path,omitempty"`
}

// PlanDoc is one plan: its limits (owned by the Dashboard) and its local
// fields. -1 means unlimited, as in Tyk.
type PlanDoc struct {
	Key                string   `json:"key,omitempty" yaml:"key,omitempty"`
	Name               string   `json:"name" yaml:"name"`
	DisplayName        string   `json:"display_name" yaml:"display_name"`
	Description        string   `json:"description" yaml:"description"`
	Published          bool     `json:"published" yaml:"published"`
	Hidden             bool     `json:"hidden,omitempty" yaml:"hidden,omitempty"`
	Rate               float64  `json:"rate" yaml:"rate"`
	Per                float64  `json:"per" yaml:"per"`
	QuotaMax           int64    `json:"quota_max" yaml:"quota_max"`
	QuotaRenewalRate   int64    `json:"quota_renewal_rate" yaml:"quota_renewal_rate"`
	ThrottleInterval   float64  `json:"throttle_interval" yaml:"throttle_interval"`
	ThrottleRetryLimit int64    `json:"throttle_retry_limit" yaml:"throttle_retry_limit"`
	KeyExpiresIn       int64    `json:"key_expires_in" yaml:"key_expires_in"`
	Tags               []string `json:"tags" yaml:"tags"`
	Fingerprint        string   `json:"fingerprint,omitempty" yaml:"fingerprint,omitempty"`

	line int
}

// Limits returns the plan's limits.
func (p PlanDoc) Limits() catalog.Limits {
	return catalog.Limits{Rate: p.Rate, Per: p.Per, QuotaMax: p.QuotaMax, QuotaRenewalRate: p.QuotaRenewalRate,
		ThrottleInterval: p.ThrottleInterval, ThrottleRetryLimit: p.ThrottleRetryLimit, KeyExpiresIn: p.KeyExpiresIn}
}

func (p *PlanDoc) setLimits(l catalog.Limits) {
	p.Rate, p.Per, p.QuotaMax, p.QuotaRenewalRate = l.Rate, l.Per, l.QuotaMax, l.QuotaRenewalRate
	p.ThrottleInterval, p.ThrottleRetryLimit, p.KeyExpiresIn = l.ThrottleInterval, l.ThrottleRetryLimit, l.KeyExpiresIn
}

// key is the product's identity within its provider.
func (p ProductDoc) key() string {
	if p.Key != "" {
		return p.Key
	}
	return p.Name
}

func (p PlanDoc) key() string {
	if p.Key != "" {
		return p.Key
	}
	return p.Name
}

// EncodeCatalog writes the document as YAML (with the schema line first)
// or, with asJSON, as indented JSON. The same document always gives the
// same bytes.
func EncodeCatalog(w io.Writer, doc *CatalogDoc, asJSON bool) error {
	var buf bytes.Buffer
	if asJSON {
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	} else {
		fmt.Fprintf(&buf, "# yaml-language-server: $schema=%s\n", CatalogSchemaURL)
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return err
		}
		if err := enc.Close(); err != nil {
			return err
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

var (
	yamlLineRE    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlUnknownRE = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// ParseCatalog reads a catalogue document (YAML, or JSON, which YAML
// reads too) and checks it: the version, no unknown fields, no duplicate
// keys, valid names, texts and limits. Every error names the file and the
// line and is an input error (exit 2).
func ParseCatalog(file string, data []byte) (*CatalogDoc, error) {
	bad := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", catalog.ErrInvalid, file, line, fmt.Sprintf(format, args...))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, bad(1, "not a catalogue document: expected a mapping with version and providers (see `tykportal export`)")
	}
	var doc CatalogDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(file, err)
	}
	top := root.Content[0]
	if doc.Version != CatalogVersion {
		return nil, bad(lineOf(top, "version", top.Line), "version %d is not supported: this tykportal reads version %d documents", doc.Version, CatalogVersion)
	}
	if provs := valueOf(top, "providers"); provs != nil && provs.Kind == yaml.SequenceNode {
		for i, pn := range provs.Content {
			if i >= len(doc.Providers) {
				break
			}
			pd := &doc.Providers[i]
			pd.line = pn.Line
			if prods := valueOf(pn, "products"); prods != nil && pd.Products != nil {
				for j, n := range prods.Content {
					if j < len(*pd.Products) {
						(*pd.Products)[j].line = n.Line
					}
				}
			}
			if plans := valueOf(pn, "plans"); plans != nil && pd.Plans != nil {
				for j, n := range plans.Content {
					if j < len(*pd.Plans) {
						(*pd.Plans)[j].line = n.Line
					}
				}
			}
		}
	}
	seenProv := map[string]int{}
	for i := range doc.Providers {
		pd := &doc.Providers[i]
		if err := provider.ValidateName(pd.Name); err != nil {
			return nil, bad(pd.line, "provider name: %v", err)
		}
		if l, dup := seenProv[pd.Name]; dup {
			return nil, bad(pd.line, "provider %q is listed twice (first at line %d)", pd.Name, l)
		}
		seenProv[pd.Name] = pd.line
		if err := checkTags(pd.PolicyTags); err != nil {
			return nil, bad(pd.line, "provider %q: policy_tags: %v", pd.Name, err)
		}
		seen := map[string]int{}
		for _, it := range deref(pd.Products) {
			what := fmt.Sprintf("product %q", it.Name)
			if err := checkItemDoc(it.Name, it.Key, it.DisplayName, it.Description, it.Tags); err != nil {
				return nil, bad(it.line, "%s: %v", what, err)
			}
			if l, dup := seen[it.key()]; dup {
				return nil, bad(it.line, "provider %q: product key %q is listed twice (first at line %d)", pd.Name, it.key(), l)
			}
			seen[it.key()] = it.line
			if len(it.APIs) == 0 {
				return nil, bad(it.line, "%s: a product needs at least one API", what)
			}
			ids := map[string]bool{}
			for _, a := range it.APIs {
				if strings.TrimSpace(a.APIID) == "" {
					return nil, bad(it.line, "%s: an API has no api_id", what)
				}
				if ids[a.APIID] {
					return nil, bad(it.line, "%s: API %q is listed twice", what, a.APIID)
				}
				ids[a.APIID] = true
			}
			if it.AuthType == "" {
				return nil, bad(it.line, "%s: auth_type is empty", what)
			}
		}
		seen = map[string]int{}
		for _, it := range deref(pd.Plans) {
			what := fmt.Sprintf("plan %q", it.Name)
			if err := checkItemDoc(it.Name, it.Key, it.DisplayName, it.Description, it.Tags); err != nil {
				return nil, bad(it.line, "%s: %v", what, err)
			}
			if l, dup := seen[it.key()]; dup {
				return nil, bad(it.line, "provider %q: plan key %q is listed twice (first at line %d)", pd.Name, it.key(), l)
			}
			seen[it.key()] = it.line
			if err := it.Limits().Validate(); err != nil {
				return nil, bad(it.line, "%s: invalid limits: %s", what, strings.TrimPrefix(err.Error(), catalog.ErrInvalid.Error()+": "))
			}
		}
	}
	return &doc, nil
}

func checkItemDoc(name, key, displayName, description string, tags []string) error {
	if err := catalog.ValidateName("name", name); err != nil {
		return unwrapInvalid(err)
	}
	if key != "" {
		if err := catalog.ValidateName("key", key); err != nil {
			return unwrapInvalid(err)
		}
	}
	if err := catalog.ValidateLine("display_name", displayName, 200); err != nil {
		return unwrapInvalid(err)
	}
	if err := catalog.ValidateText("description", description, 2000); err != nil {
		return unwrapInvalid(err)
	}
	if err := checkTags(tags); err != nil {
		return fmt.Errorf("tags: %v", err)
	}
	return nil
}

func checkTags(tags []string) error {
	for _, t := range tags {
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t, ", \t\n") {
			return fmt.Errorf("tag %q must be one word without commas or spaces", t)
		}
	}
	return nil
}

// unwrapInvalid drops the "invalid input: " prefix of a rule's error, so
// the document's error says it once.
func unwrapInvalid(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), catalog.ErrInvalid.Error()+": "))
}

// yamlError turns a yaml.v3 error into an input error naming file and line.
func yamlError(file string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if g := yamlLineRE.FindStringSubmatch(m); g != nil {
			rest := g[2]
			if u := yamlUnknownRE.FindStringSubmatch(rest); u != nil {
				rest = fmt.Sprintf("unknown field %q", u[1])
			}
			out = append(out, fmt.Sprintf("%s:%s: %s", file, g[1], rest))
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s", file, strings.TrimPrefix(m, "yaml: ")))
	}
	return fmt.Errorf("%w: %s", catalog.ErrInvalid, strings.Join(out, "; "))
}

// valueOf returns the value node of key in a mapping node, or nil.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func lineOf(m *yaml.Node, key string, def int) int {
	if v := valueOf(m, key); v != nil {
		return v.Line
	}
	return def
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

// Fingerprint is a hash of the Dashboard-owned fields of a policy as
// fetched: the export records it, and apply compares it with the policy as
// it is now to tell a policy changed in the Dashboard since the export.
func Fingerprint(p *dashboard.Policy) string {
	apis := make([]string, 0, len(p.AccessRights))
	for id := range p.AccessRights {
		apis = append(apis, id)
	}
	sort.Strings(apis)
	v := struct {
		Name       string               `json:"name"`
		APIs       []string             `json:"apis"`
		Limits     catalog.Limits       `json:"limits"`
		Partitions dashboard.Partitions `json:"partitions"`
		Tags       []string             `json:"tags"`
		Active     bool                 `json:"active"`
		State      string               `json:"state"`
	}{p.Name, apis, catalog.Limits{Rate: p.Rate, Per: p.Per, QuotaMax: p.QuotaMax, QuotaRenewalRate: p.QuotaRenewalRate,
		ThrottleInterval: p.ThrottleInterval, ThrottleRetryLimit: p.ThrottleRetryLimit, KeyExpiresIn: p.KeyExpiresIn},
		p.Partitions, sortedSet(p.Tags), p.Active, p.State}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// sortedSet returns the distinct strings of s, sorted; never nil.
func sortedSet(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return slices.Compact(out)
}
