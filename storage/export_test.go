package storage

// NewSplitStore is newSplitStore, for the external tests.
var NewSplitStore = newSplitStore
