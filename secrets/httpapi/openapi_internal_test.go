package httpapi

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strongbox-go/strongbox/keeper"
	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/secrets/runtoken"
	"github.com/strongbox-go/strongbox/storage/docstorage"
)

// openAPIDoc is the part of openapi.json the tests read.
type openAPIDoc struct {
	OpenAPI  string                                `json:"openapi"`
	Security []map[string][]string                 `json:"security"`
	Paths    map[string]map[string]json.RawMessage `json:"paths"`
	Comps    struct {
		Schemas         map[string]json.RawMessage `json:"schemas"`
		SecuritySchemes map[string]struct {
			Type, Scheme, BearerFormat string
		} `json:"securitySchemes"`
		Parameters map[string]openAPIParam    `json:"parameters"`
		Responses  map[string]json.RawMessage `json:"responses"`
		Headers    map[string]json.RawMessage `json:"headers"`
	} `json:"components"`
}

type openAPIParam struct {
	Ref    string `json:"$ref"`
	Name   string `json:"name"`
	In     string `json:"in"`
	Schema struct {
		Enum []string `json:"enum"`
	} `json:"schema"`
}

type openAPIOp struct {
	OperationID string                 `json:"operationId"`
	Security    *[]map[string][]string `json:"security"`
	Parameters  []openAPIParam         `json:"parameters"`
	Responses   map[string]struct {
		Ref     string                     `json:"$ref"`
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	return doc
}

func newTestHandler(t *testing.T) *Handler {
	t.Helper()
	u, err := keeper.NewThrowawayKEKURL()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := keeper.OpenEnvelope(context.Background(), u, keeper.EnvelopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := docstorage.NewInMemory()
	m, err := secrets.New(secrets.Options{Store: st, Keeper: kp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); st.Close(); kp.Close() })
	// Every optional route on: API tokens, run-token issuing, the key set.
	key, err := runtoken.NewEd25519Key("ed-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := runtoken.NewIssuer(runtoken.IssuerOptions{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := apitoken.New(apitoken.Options{Store: apitoken.NewMemoryStore(), Guard: m})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Manager: m, RunTokenIssuer: iss, APITokens: toks})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestRouteTableFollowsOptions checks that the token routes are in the
// table only when their Options are set, so the OpenAPI tests above,
// which enable them all, cover every route there is.
func TestRouteTableFollowsOptions(t *testing.T) {
	full := newTestHandler(t)
	bare, err := New(Options{Manager: full.m})
	if err != nil {
		t.Fatal(err)
	}
	paths := func(h *Handler) map[string]bool {
		out := map[string]bool{}
		for _, rt := range h.routeTable() {
			out[rt.path] = true
		}
		return out
	}
	for _, p := range []string{pathAPITokens, pathAPIToken, pathRunTokens, pathRunToken, pathJWKS} {
		if !paths(full)[p] {
			t.Errorf("%s missing with every option set", p)
		}
		if paths(bare)[p] {
			t.Errorf("%s served without its option", p)
		}
	}
}

// TestOpenAPIMatchesRoutes holds openapi.json to the route table both
// ways: every route the handler registers is documented with its method,
// and every documented path and method is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	routes := map[string][]string{}
	for _, rt := range newTestHandler(t).routeTable() {
		routes[rt.path] = append(routes[rt.path], strings.ToLower(rt.method))
	}
	documented := map[string][]string{}
	for path, item := range doc.Paths {
		documented[path] = nil
		for key := range item {
			if slices.Contains(openAPIMethods, key) {
				documented[path] = append(documented[path], key)
			} else if key != "parameters" && key != "summary" && key != "description" {
				t.Errorf("path %s: unexpected member %q", path, key)
			}
		}
	}
	for _, m := range []map[string][]string{routes, documented} {
		for _, ms := range m {
			slices.Sort(ms)
		}
	}
	if diff := cmp.Diff(routes, documented); diff != "" {
		t.Errorf("route table vs openapi.json paths (-routes +documented):\n%s", diff)
	}
}

// TestOpenAPIDescribesEachOperation checks each operation: an id, every
// path parameter declared, every $ref resolving, and errors described
// with the error body.
func TestOpenAPIDescribesEachOperation(t *testing.T) {
	doc := loadOpenAPI(t)
	ids := map[string]bool{}
	pathParam := regexp.MustCompile(`\{([^}]+)\}`)
	resolve := func(p openAPIParam) openAPIParam {
		if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
			q, found := doc.Comps.Parameters[name]
			if !found {
				t.Errorf("unresolved parameter %s", p.Ref)
			}
			return q
		}
		return p
	}
	for path, item := range doc.Paths {
		var common []openAPIParam
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &common); err != nil {
				t.Fatalf("%s parameters: %v", path, err)
			}
		}
		for method, raw := range item {
			if !slices.Contains(openAPIMethods, method) {
				continue
			}
			var op openAPIOp
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			where := strings.ToUpper(method) + " " + path
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: operationId %q missing or repeated", where, op.OperationID)
			}
			ids[op.OperationID] = true
			declared := map[string]bool{}
			for _, p := range append(slices.Clone(common), op.Parameters...) {
				if p = resolve(p); p.In == "path" {
					declared[p.Name] = true
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %s is not declared", where, m[1])
				}
			}
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", where)
			}
			for status, r := range op.Responses {
				if n, _ := strconv.Atoi(status); n >= 400 && r.Ref == "" {
					t.Errorf("%s: response %s is not one of the shared error responses", where, status)
				}
			}
		}
	}
	// Every $ref in the document resolves.
	for _, m := range regexp.MustCompile(`"\$ref": "#/components/(\w+)/([\w-]+)"`).FindAllStringSubmatch(string(openAPISpec), -1) {
		var ok bool
		switch m[1] {
		case "schemas":
			_, ok = doc.Comps.Schemas[m[2]]
		case "parameters":
			_, ok = doc.Comps.Parameters[m[2]]
		case "responses":
			_, ok = doc.Comps.Responses[m[2]]
		case "headers":
			_, ok = doc.Comps.Headers[m[2]]
		}
		if !ok {
			t.Errorf("unresolved $ref #/components/%s/%s", m[1], m[2])
		}
	}
}

// TestOpenAPIErrorCodes holds the ErrorCode enum of openapi.json to the
// Code constants of errors.go, both ways.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadOpenAPI(t)
	var schema struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(doc.Comps.Schemas["ErrorCode"], &schema); err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "code") || len(vs.Values) != 1 {
			return true
		}
		if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, _ := strconv.Unquote(lit.Value)
			codes = append(codes, s)
		}
		return true
	})
	if len(codes) < 10 {
		t.Fatalf("found %d code constants in errors.go", len(codes))
	}
	slices.Sort(codes)
	got := slices.Sorted(slices.Values(schema.Enum))
	if diff := cmp.Diff(codes, got); diff != "" {
		t.Errorf("error codes (-errors.go +openapi.json):\n%s", diff)
	}
}

// TestOpenAPISecurity checks the bearer schemes: management routes take
// API tokens or OIDC JWTs, the decrypt route also run tokens, and the
// description itself none.
func TestOpenAPISecurity(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, format := range map[string]string{"runToken": "sbrt1", "apiToken": "sbx", "oidc": "JWT"} {
		s, ok := doc.Comps.SecuritySchemes[name]
		if !ok || s.Type != "http" || s.Scheme != "bearer" || s.BearerFormat != format {
			t.Errorf("security scheme %s = %+v, want http bearer %s", name, s, format)
		}
	}
	schemes := func(reqs []map[string][]string) []string {
		var out []string
		for _, r := range reqs {
			for k := range r {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff([]string{"apiToken", "oidc"}, schemes(doc.Security)); diff != "" {
		t.Errorf("default security (-want +got):\n%s", diff)
	}
	for _, rt := range newTestHandler(t).routeTable() {
		var op openAPIOp
		if err := json.Unmarshal(doc.Paths[rt.path][strings.ToLower(rt.method)], &op); err != nil {
			t.Fatalf("%s %s: %v", rt.method, rt.path, err)
		}
		want := []string{"apiToken", "oidc"} // the default
		switch rt.access {
		case accessDecrypt:
			want = []string{"apiToken", "oidc", "runToken"}
		case accessPublic:
			want = nil
		}
		got := schemes(doc.Security)
		if op.Security != nil {
			got = schemes(*op.Security)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s security (-want +got):\n%s", rt.method, rt.path, diff)
		}
	}
}

// TestOpenAPIDecryptIsK6Protocol checks that the decrypt route documents
// the k6 url source: JSON with the value at responsePath=value, or with
// format=raw the value as text/plain.
func TestOpenAPIDecryptIsK6Protocol(t *testing.T) {
	doc := loadOpenAPI(t)
	raw := doc.Paths[pathDecrypt]["get"]
	var op openAPIOp
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatal(err)
	}
	var format []string
	for _, p := range op.Parameters {
		if p.Name == "format" && p.In == "query" {
			format = p.Schema.Enum
		}
	}
	if diff := cmp.Diff([]string{"json", "raw"}, format); diff != "" {
		t.Errorf("format parameter (-want +got):\n%s", diff)
	}
	content := op.Responses["200"].Content
	if _, ok := content["application/json"]; !ok {
		t.Error("decrypt 200 has no application/json")
	}
	if _, ok := content["text/plain"]; !ok {
		t.Error("decrypt 200 has no text/plain (format=raw)")
	}
	for _, s := range []string{"responsePath=value", "K6_SECRET_SOURCE", "urlTemplate="} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("decrypt description does not mention %s", s)
		}
	}
	var body struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(doc.Comps.Schemas["DecryptResponse"], &body)
	if _, ok := body.Properties["value"]; !ok || len(body.Properties) != 1 {
		t.Errorf("DecryptResponse properties = %v, want value only", body.Properties)
	}
}

// TestOpenAPIServed checks that GET /openapi.json answers the embedded
// document without credentials, and that other methods are 405.
func TestOpenAPIServed(t *testing.T) {
	h := newTestHandler(t)
	for _, method := range []string{"GET", "HEAD"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/openapi.json", nil))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s /openapi.json: %d %s", method, rec.Code, rec.Header().Get("Content-Type"))
		}
		want := string(openAPISpec)
		if method == "HEAD" {
			want = ""
		}
		if rec.Body.String() != want {
			t.Errorf("%s /openapi.json: body of %d bytes, want %d", method, rec.Body.Len(), len(want))
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/openapi.json", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /openapi.json: %d, Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}
