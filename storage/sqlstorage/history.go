package sqlstorage

import (
	"encoding/json"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/storage/driver"
)

// historyRow is one entry of the history column: a JSON array, newest
// first, of objects with short member names (the column is read with every
// metadata row, so it is kept small). Times are Unix microseconds like the
// other columns. The empty text is the empty history (rows written before
// schema version 3).
type historyRow struct {
	Version    int64  `json:"v"`
	ValueID    string `json:"id,omitempty"`
	CreateTime int64  `json:"t"`
	CreatedBy  string `json:"by,omitempty"`
	Revoked    bool   `json:"r,omitempty"`
	Destroyed  bool   `json:"d,omitempty"`
}

func marshalHistory(h []driver.HistoryEntry) string {
	if len(h) == 0 {
		return ""
	}
	rows := make([]historyRow, len(h))
	for i, e := range h {
		rows[i] = historyRow{Version: e.Version, ValueID: e.ValueID, CreateTime: micros(e.CreateTime),
			CreatedBy: e.CreatedBy, Revoked: e.Revoked, Destroyed: e.Destroyed}
	}
	b, _ := json.Marshal(rows) // cannot fail: strings and numbers only
	return string(b)
}

func unmarshalHistory(s string) ([]driver.HistoryEntry, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var rows []historyRow
	if err := json.Unmarshal([]byte(s), &rows); err != nil {
		return nil, errcode.New(errcode.Internal, "", "stored history is not a JSON array of entries")
	}
	if len(rows) == 0 {
		return nil, nil
	}
	h := make([]driver.HistoryEntry, len(rows))
	for i, r := range rows {
		h[i] = driver.HistoryEntry{Version: r.Version, ValueID: r.ValueID, CreateTime: fromMicros(r.CreateTime),
			CreatedBy: r.CreatedBy, Revoked: r.Revoked, Destroyed: r.Destroyed}
	}
	return h, nil
}
