package main

// The key-encryption keys a deployment may name with --kek: every gocloud
// secrets URL scheme. Package gocloudkeeper lets package keeper open
// gocloud URLs; each driver registers its scheme.
import (
	_ "github.com/strongbox-go/strongbox/keeper/gocloudkeeper"
	_ "gocloud.dev/secrets/awskms"
	_ "gocloud.dev/secrets/azurekeyvault"
	_ "gocloud.dev/secrets/gcpkms"
	_ "gocloud.dev/secrets/hashivault"

	// Stores a deployment may name with --store.
	_ "github.com/strongbox-go/strongbox/storage/docstorage"
	_ "github.com/strongbox-go/strongbox/storage/sqlstorage"
)
