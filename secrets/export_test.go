package secrets

// FormatSelector is formatSelector, for the external tests.
var FormatSelector = formatSelector
