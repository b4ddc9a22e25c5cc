package dashboard

import (
	"encoding/json"

	"github.com/tykportal/tykportal/internal/jsonscan"
)

// decodeAPIWrapper decodes one entry of the API list with the strict
// scanner of policyscan.go, falling back to encoding/json for anything it
// does not handle exactly as encoding/json would. A real API definition has
// hundreds of fields and the list needs about twenty: encoding/json
// decoded the 2,000-API answer at a third of the speed, beside the policy
// list on the same cores.
func decodeAPIWrapper(data []byte, w *apiWrapper) error {
	s := scanner{jsonscan.New(data)}
	if s.apiWrapper(w) == nil {
		return nil
	}
	*w = apiWrapper{}
	return json.Unmarshal(data, w)
}

var listedAPIWrapperFields = jsonscan.NewNames("api_definition", "oas")

func (s *scanner) apiWrapper(w *apiWrapper) error {
	err := s.Fields(listedAPIWrapperFields, func(i int) error {
		if i == 0 {
			return s.apiDefinition(&w.Def)
		}
		return s.Raw(&w.OAS)
	})
	if err != nil {
		return err
	}
	return s.End()
}

var listedAPIDefinitionFields = jsonscan.NewNames(
	"id", "api_id", "name", "org_id", "active", "is_oas", "use_keyless", "use_standard_auth", "use_oauth2",
	"use_openid", "use_basic_auth", "enable_jwt", "enable_signature_checking", "use_mutual_tls_auth",
	"custom_plugin_auth_enabled", "use_go_plugin_auth", "enable_coprocess_auth", "external_oauth",
	"base_identity_provided_by",
)

func (s *scanner) apiDefinition(d *apiDefinition) error {
	if s.Peek() == 'n' {
		_, err := s.Literal("null")
		return err
	}
	return s.Fields(listedAPIDefinitionFields, func(i int) error {
		switch i {
		case 0:
			return s.OptString(&d.ID)
		case 1:
			return s.OptString(&d.APIID)
		case 2:
			return s.OptString(&d.Name)
		case 3:
			return s.OptString(&d.OrgID)
		case 4:
			return s.OptBool(&d.Active)
		case 5:
			return s.OptBool(&d.IsOAS)
		case 6:
			return s.OptBool(&d.UseKeyless)
		case 7:
			return s.OptBool(&d.UseStandardAuth)
		case 8:
			return s.OptBool(&d.UseOAuth2)
		case 9:
			return s.OptBool(&d.UseOpenID)
		case 10:
			return s.OptBool(&d.UseBasicAuth)
		case 11:
			return s.OptBool(&d.EnableJWT)
		case 12:
			return s.OptBool(&d.EnableSignatureChecking)
		case 13:
			return s.OptBool(&d.UseMutualTLSAuth)
		case 14:
			return s.OptBool(&d.CustomPluginAuthEnabled)
		case 15:
			return s.OptBool(&d.UseGoPluginAuth)
		case 16:
			return s.OptBool(&d.EnableCoprocessAuth)
		case 17:
			return s.Raw(&d.ExternalOAuth)
		default:
			return s.OptString(&d.BaseIdentityProvidedBy)
		}
	})
}
