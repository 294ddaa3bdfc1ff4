package sqlstorage

import (
	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage/driver"
	"github.com/strongbox-go/strongbox/storage/internal/histcodec"
)

// The history column holds Metadata.History in histcodec's text form (""
// for none, which rows written before schema version 3 have): a JSON array
// would cost Reveal, which reads the column with every metadata row, more
// than the row itself.

func marshalHistory(h []driver.HistoryEntry) string { return histcodec.Append(h) }

func unmarshalHistory(s string) ([]driver.HistoryEntry, error) {
	h, err := histcodec.Parse(s)
	if err != nil {
		return nil, errcode.New(errcode.Internal, "", "stored history is malformed")
	}
	return h, nil
}
