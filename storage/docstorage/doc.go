// Package docstorage is a strongbox storage backend over gocloud.dev
// docstore collections: in memory (memdocstore), DynamoDB, Firestore,
// MongoDB, or any other docstore driver linked into the program.
//
// Metadata, ciphertexts and records live in three collections, which may
// be in different services or accounts. Importing the package registers two
// strongbox store URL schemes with storage.OpenStore:
//
//	mem://                  a new private in-memory store (NewInMemory); needs
//	                        nothing, keeps nothing: for the quickstart and tests
//	docstore://?metadata=<escaped collection URL>&ciphertexts=<escaped collection URL>&records=<escaped collection URL>
//
// for example
//
//	s, err := storage.OpenStore(ctx, "docstore://?metadata="+url.QueryEscape("dynamodb://sb-meta?partition_key=id")+
//		"&ciphertexts="+url.QueryEscape("dynamodb://sb-ct?partition_key=id")+
//		"&records="+url.QueryEscape("dynamodb://sb-rec?partition_key=id"))
//
// (records is optional: without it the store keeps no records). A program
// that opens its collections itself passes them to OpenCollections.
//
// memdocstore is not durable (its file option writes only on Close and
// restarts its revision counter); use storage/sqlstorage or a cloud
// docstore for data that must survive a restart.
//
// # Format
//
// Both collections use the key field "id": for metadata the query-escaped
// namespace and name joined by ':', for ciphertexts namespace, name and
// value ID joined the same way. Other fields: ns, name, description,
// labels, decrypters, version, value_id, revoked, revision, create_time,
// update_time, created_by, updated_by, keep_versions, history (the value
// history as one string, in the compact text form of
// storage/internal/histcodec; both absent from documents written before
// value history),
// deleted (metadata); ns, name,
// value_id, version, data, create_time (ciphertexts); and gocloud's
// revision field, which must keep its default name, DocstoreRevision.
//
// Records (see the storage package doc, # Records) live in a third
// collection, named by the docstore:// parameter records= (or the third
// argument of OpenCollections; mem:// always has one). A store opened
// without one keeps secrets as before and fails record calls with
// secrets.ErrFailedPrecondition. Its documents: id (query-escaped kind and
// key joined by ':'), kind, key, data, revision, expire_time, update_time,
// deleted; the document of a kind with an empty key holds the kind's
// change sequence, seq, bumped by a second write after each record write
// (docstore has no transactions across documents). Listing filters on kind
// and orders by key (a DynamoDB index with partition key kind and sort key
// key).
//
// Listing queries filter on ns and order by name (metadata) or id
// (ciphertexts): DynamoDB needs a global secondary index with partition key
// ns and sort key name on the metadata table, and one with partition key
// ns and sort key id on the ciphertext table; Firestore needs the
// matching composite indexes. The all-namespaces ListCiphertexts orders
// the whole ciphertext collection by id, which DynamoDB can only do with an
// index whose sort key is id. Only memdocstore is tested here; the index
// notes for other drivers follow their gocloud documentation. Label
// filters are applied by storage.Store while paging by name, so a
// selective filter reads more documents than it returns.
//
// docstore has no transactions across collections, so the driver has no
// Atomic operations: the *storage.Store the constructors return sequences
// the writes of a secret's metadata and ciphertext (see the storage
// package doc, # Writes).
//
// # Revisions
//
// strongbox's Revision is an ordinary field; the compare-and-swap uses
// gocloud's revision: an update reads the document, checks Revision, and
// replaces it under the DocstoreRevision it read, so a concurrent writer
// makes it fail with secrets.ErrConflict. A delete first marks the document
// deleted under its revision (exactly one racing delete wins on every
// driver), then removes it; a mark left by a crash reads as absent and is
// removed by the next create of the name.
//
// # Errors
//
// gocloud codes map to strongbox codes: NotFound, AlreadyExists,
// FailedPrecondition (a revision mismatch) to secrets.ErrConflict,
// InvalidArgument to secrets.ErrInvalid, DeadlineExceeded and ResourceExhausted
// to secrets.ErrUnavailable, anything else to secrets.ErrInternal. Context
// errors pass through unchanged. Open's errors never repeat the collection
// URLs.
//
// # Security
//
// The store never sees plaintext: it receives ciphertexts from the secrets
// package and returns them unchanged. Errors never contain ciphertext
// bytes.
package docstorage
