package gocloudkeeper

// Test access to unexported parts.
var (
	NewDriver = newDriver
	Code      = code
)

const DefaultAssociatedData = defaultAssociatedData
