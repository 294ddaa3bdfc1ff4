package modeltest

// SpecValid reports whether the model accepts a secret with these fields
// (DESIGN.md's limits, written independently of package secrets), so fuzz
// targets can compare secrets' validation against it.
func SpecValid(name, description string, labels map[string]string, decrypters []string, value string) bool {
	return validName(name) && validDescription(description) && validLabels(labels) &&
		validDecrypters(decrypters) && validValue(value)
}

// SelectorValid reports whether the model parses selector, and the labels
// it selects.
func SelectorValid(selector string) (map[string]string, bool) { return parseSelector(selector) }
