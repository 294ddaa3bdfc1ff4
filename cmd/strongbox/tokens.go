package main

import (
	"path/filepath"

	"github.com/strongbox-go/strongbox/secrets"
	"github.com/strongbox-go/strongbox/secrets/apitoken"
	"github.com/strongbox-go/strongbox/service"
)

const (
	// adminNamespace is the namespace of the bootstrap admin token.
	adminNamespace = "default"
	// runSubject is the run identity of run tokens whose request names
	// none: the decrypter a secret lists for k6 runs.
	runSubject = "k6"
	// apiTokensFile keeps the API tokens' records (digests, never tokens)
	// in the data directory.
	apiTokensFile = "apitokens.json"
)

// openAPITokens opens the API tokens kept in the data directory, decided
// and audited by the Manager.
func openAPITokens(dir *service.DataDir, m *secrets.Manager) (*apitoken.Tokens, error) {
	fs, err := apitoken.OpenFileStore(filepath.Join(dir.Path(), apiTokensFile))
	if err != nil {
		return nil, err
	}
	return apitoken.New(apitoken.Options{Store: fs, Guard: m})
}
