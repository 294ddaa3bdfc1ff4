package secrets

// FormatSelector is formatSelector, for the external tests.
var FormatSelector = formatSelector

// MaxRevealNames is maxRevealNames, for the external tests.
const MaxRevealNames = maxRevealNames
