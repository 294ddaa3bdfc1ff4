package httpapi

import (
	"context"

	"github.com/strongbox-go/strongbox/internal/bearer"
)

// Unexported names the external tests use (issue #12: they are not part of
// the API).
const (
	CodeInvalid             = codeInvalid
	CodeNotFound            = codeNotFound
	CodeUnavailable         = codeUnavailable
	DefaultAuthFailureBurst = defaultAuthFailureBurst
	DefaultMaxBodyBytes     = defaultMaxBodyBytes
	EnvK6SecretSource       = envK6SecretSource
	EnvRunToken             = envRunToken
)

var (
	BearerToken = bearer.Token
	DecryptPath = decryptPath
	K6Spec      = k6Spec
)

type (
	RequestAuditor    = func(context.Context, RequestEvent)
	AuthenticatorFunc = authenticatorFunc
	ListResponse      = listResponse
)
