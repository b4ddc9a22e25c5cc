package dashboard

import (
	"encoding/json"

	"github.com/tykportal/tykportal/internal/jsonscan"
)

// scanner decodes the list items of this package with jsonscan.
type scanner struct{ jsonscan.Scanner }

// decodePolicyWire decodes one listed policy. A hand-written strict parser
// handles the usual shape in one pass; anything it does not handle exactly
// as encoding/json would (escaped or case-folded keys, duplicate fields,
// unexpected types, any syntax error) sends the item to json.Unmarshal,
// which then decides, so the result is always encoding/json's. Decoding
// 10,000 policies with encoding/json alone was the largest part of a sync's
// local time.
func decodePolicyWire(data []byte, w *policyWire) error {
	s := scanner{jsonscan.New(data)}
	if s.policy(w) == nil {
		return nil
	}
	*w = policyWire{}
	return json.Unmarshal(data, w)
}

// float reads a number (or what flexFloat accepts) into dst. A plain
// integer of up to 15 digits, the usual value, is exact as a float64 and
// converted here; anything else goes through flexFloat's own decoding.
func (s *scanner) float(dst *flexFloat) error {
	c := s.Peek()
	if c != '-' && !jsonscan.IsDigit(c) {
		return s.Unmarshaler(dst)
	}
	num, err := s.NumberToken()
	if err != nil {
		return err
	}
	digits, neg := num, false
	if digits[0] == '-' {
		digits, neg = digits[1:], true
	}
	var v int64
	exact := len(digits) <= 15 && !(neg && digits[0] == '0') // -0 stays a float's -0
	for i := 0; exact && i < len(digits); i++ {
		if !jsonscan.IsDigit(digits[i]) {
			exact = false
		}
		v = v*10 + int64(digits[i]-'0')
	}
	if !exact {
		if dst.UnmarshalJSON(num) != nil {
			return jsonscan.ErrFallback
		}
		return nil
	}
	if neg {
		v = -v
	}
	*dst = flexFloat(v)
	return nil
}

var listedPolicyFields = jsonscan.NewNames(
	"_id", "id", "name", "org_id", "rate", "per", "quota_max", "quota_renewal_rate", "throttle_interval",
	"throttle_retry_limit", "key_expires_in", "access_rights", "active", "is_inactive", "state", "tags",
	"partitions", "last_updated", "auth_type", "meta_data",
)

func (s *scanner) policy(w *policyWire) error {
	err := s.Fields(listedPolicyFields, func(i int) error {
		switch i {
		case 0:
			return s.PlainStr((*string)(&w.MID), &w.MID)
		case 1:
			return s.OptString(&w.ID)
		case 2:
			return s.OptString(&w.Name)
		case 3:
			return s.OptString(&w.OrgID)
		case 4:
			return s.float(&w.Rate)
		case 5:
			return s.float(&w.Per)
		case 6:
			return s.float(&w.QuotaMax)
		case 7:
			return s.float(&w.QuotaRenewalRate)
		case 8:
			return s.float(&w.ThrottleInterval)
		case 9:
			return s.float(&w.ThrottleRetryLimit)
		case 10:
			return s.float(&w.KeyExpiresIn)
		case 11:
			return s.accessRights(w)
		case 12:
			return s.OptBool(&w.Active)
		case 13:
			return s.OptBool(&w.IsInactive)
		case 14:
			return s.OptString(&w.State)
		case 15:
			return s.Strings(&w.Tags)
		case 16:
			return s.partitions(&w.Partitions)
		case 17:
			return s.PlainStr((*string)(&w.LastUpdated), &w.LastUpdated)
		case 18:
			return s.OptString(&w.AuthType)
		default:
			return s.Unmarshaler(&w.MetaData)
		}
	})
	if err != nil {
		return err
	}
	return s.End()
}

var listedPartitionFields = jsonscan.NewNames("quota", "rate_limit", "complexity", "acl", "per_api")

func (s *scanner) partitions(p *Partitions) error {
	if s.Peek() == 'n' {
		_, err := s.Literal("null")
		return err
	}
	return s.Fields(listedPartitionFields, func(i int) error {
		switch i {
		case 0:
			return s.OptBool(&p.Quota)
		case 1:
			return s.OptBool(&p.RateLimit)
		case 2:
			return s.OptBool(&p.Complexity)
		case 3:
			return s.OptBool(&p.ACL)
		default:
			return s.OptBool(&p.PerAPI)
		}
	})
}

// accessRights reads the access rights straight into the Policy's map type
// (rights), one map per policy: an intermediate map of wire values, and
// its conversion, allocated and cleared two maps of large values for every
// policy, a quarter of the list's decode.
func (s *scanner) accessRights(w *policyWire) error {
	if s.Peek() == 'n' {
		_, err := s.Literal("null")
		return err
	}
	type entry struct {
		key string
		a   AccessDefinition
	}
	var small [4]entry
	list := small[:0]
	err := s.Members(func(key []byte) error {
		for _, e := range list {
			if e.key == string(key) {
				return jsonscan.ErrFallback // a repeated key: encoding/json's rules
			}
		}
		if s.Peek() != '{' {
			return jsonscan.ErrFallback // null or another type: encoding/json's rules
		}
		list = append(list, entry{key: string(key)})
		return s.access(&list[len(list)-1].a)
	})
	if err != nil {
		return err
	}
	if len(list) > 0 {
		w.rights = make(map[string]AccessDefinition, len(list))
		for _, e := range list {
			w.rights[e.key] = e.a
		}
	}
	return nil
}

var listedAccessFields = jsonscan.NewNames("api_id", "api_name", "versions", "mcp_primitives", "mcp_access_rights", "json_rpc_methods", "json_rpc_methods_access_rights")

func (s *scanner) access(a *AccessDefinition) error {
	return s.Fields(listedAccessFields, func(i int) error {
		switch i {
		case 0:
			return s.OptString(&a.APIID)
		case 1:
			return s.OptString(&a.APIName)
		case 2:
			return s.Strings(&a.Versions)
		case 3:
			return s.Raw(&a.MCPPrimitives)
		case 4:
			return s.Raw(&a.MCPAccessRights)
		case 5:
			return s.Raw(&a.JSONRPCMethods)
		default:
			return s.Raw(&a.JSONRPCMethodsAccessRights)
		}
	})
}
